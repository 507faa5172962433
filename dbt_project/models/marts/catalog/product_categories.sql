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
        {{ typed_columns('products', {
            'id': deterministic_uuid(['products.shop_domain', "'product'", 'products.product_id']),
            'shopify_product_id': 'products.product_id',
            'avg_order_value': 'product_sales.avg_order_value',
            'margin_pct': 'margins.margin_pct',
            'inventory_velocity': "case " ~ velocity_tier('coalesce(product_units.units_sold_30d, 0)')
                ~ " when 'fast' then 'fast' when 'medium' then 'medium' else 'slow' end",
        }) }}
    from products
    {{ join_each('products', ['margins', 'product_sales', 'product_units'], ['shop_domain', 'product_id']) }}
)

select * from final
