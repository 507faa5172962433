{#- One row per shop and SKU: the 30-day window ending on the shop's as-of local day. -#}

with

catalog_skus as (
    select * from {{ ref('int_skus_stocked') }}
),

windows as (
    select * from {{ ref('int_sku_sales_windowed') }}
),

skus as (
    select
        coalesce(catalog_skus.shop_domain, windows.shop_domain) as shop_domain,
        coalesce(catalog_skus.sku, windows.sku) as sku,
        coalesce(catalog_skus.product_id, windows.product_id) as product_id,
        coalesce(catalog_skus.variant_id, windows.variant_id) as variant_id,
        coalesce(catalog_skus.quantity_available, 0) as quantity_available,
        coalesce(windows.revenue_30d, 0) as revenue_30d,
        coalesce(windows.units_sold_30d, 0) as units_sold_30d,
        coalesce(windows.orders_30d, 0) as orders_30d,
        coalesce(windows.avg_daily_sales, 0) as avg_daily_sales,
        coalesce(windows.trend_direction, 'stable') as trend_direction,
        windows.last_sale_at
    from catalog_skus
    full outer join windows
        on
            catalog_skus.shop_domain = windows.shop_domain
            and catalog_skus.sku = windows.sku
),

final as (
    select
        {{ deterministic_uuid(['skus.shop_domain', "'sku'", 'skus.sku']) }} as id,
        skus.shop_domain::text as shop_domain,
        skus.product_id::bigint as shopify_product_id,
        skus.variant_id::bigint as shopify_variant_id,
        skus.sku::text as sku,
        skus.revenue_30d::numeric as revenue_30d,
        skus.units_sold_30d::integer as units_sold_30d,
        skus.orders_30d::integer as orders_30d,
        skus.quantity_available::integer as current_inventory,
        (case
            when skus.avg_daily_sales > 0
                then floor(greatest(skus.quantity_available, 0) / skus.avg_daily_sales)
        end)::integer as days_of_inventory,
        (skus.trend_direction = 'up')::boolean as is_trending,
        skus.trend_direction::text as trend_direction,
        skus.last_sale_at::timestamptz as last_sale_at,
        '{{ run_started_at }}'::timestamptz as created_at,
        '{{ run_started_at }}'::timestamptz as updated_at
    from skus
)

select * from final
