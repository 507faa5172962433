with

products as (
    select * from {{ ref('int_products_classified') }}
),

variants as (
    select * from {{ ref('stg_shopify__variants') }}
),

lines as (
    select * from {{ ref('int_order_lines_enriched') }}
),

sku_windows as (
    select * from {{ ref('int_sku_sales_windowed') }}
),

margins as (
    select
        shop_domain,
        product_id,
        round(
            100.0 * (sum(price) filter (where unit_cost is not null) - sum(unit_cost))
            / nullif(sum(price) filter (where unit_cost is not null), 0),
            2
        ) as margin_pct
    from variants
    group by shop_domain, product_id
),

product_sales as (
    select
        shop_domain,
        product_id,
        round(sum(discounted_total) / nullif(count(distinct order_id), 0), 2) as avg_order_value
    from lines
    where is_counted and product_id is not null
    group by shop_domain, product_id
),

product_units as (
    select
        shop_domain,
        product_id,
        sum(units_sold_30d)::integer as units_sold_30d
    from sku_windows
    group by shop_domain, product_id
),

final as (
    select
        {{ deterministic_uuid(['products.shop_domain', "'product'", 'products.product_id']) }} as id,
        products.shop_domain::text as shop_domain,
        products.product_id::bigint as shopify_product_id,
        products.category_l1::text as category_l1,
        products.category_l2::text as category_l2,
        products.category_l3::text as category_l3,
        products.fits_vehicle_years::integer[] as fits_vehicle_years,
        products.fits_makes::text[] as fits_makes,
        products.fits_models::text[] as fits_models,
        products.is_performance_part::boolean as is_performance_part,
        products.is_restoration_part::boolean as is_restoration_part,
        products.is_custom_fabrication::boolean as is_custom_fabrication,
        product_sales.avg_order_value::numeric as avg_order_value,
        margins.margin_pct::numeric as margin_pct,
        (case {{ velocity_tier('coalesce(product_units.units_sold_30d, 0)') }}
            when 'fast' then 'fast'
            when 'medium' then 'medium'
            else 'slow'
        end)::text as inventory_velocity,
        products.created_at::timestamptz as created_at,
        products.updated_at::timestamptz as updated_at
    from products
    left join margins
        on
            products.shop_domain = margins.shop_domain
            and products.product_id = margins.product_id
    left join product_sales
        on
            products.shop_domain = product_sales.shop_domain
            and products.product_id = product_sales.product_id
    left join product_units
        on
            products.shop_domain = product_units.shop_domain
            and products.product_id = product_units.product_id
)

select * from final
