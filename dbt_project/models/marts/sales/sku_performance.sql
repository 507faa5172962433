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
        {{ coalesced('windows', ['revenue_30d', 'units_sold_30d', 'orders_30d', 'avg_daily_sales']) }},
        coalesce(windows.trend_direction, 'stable') as trend_direction,
        windows.last_sale_at
    from catalog_skus
    {{ join_each('catalog_skus', ['windows'], ['shop_domain', 'sku'], 'full outer') }}
),

final as (
    select
        {{ typed_columns('skus', {
            'id': deterministic_uuid(['skus.shop_domain', "'sku'", 'skus.sku']),
            'shopify_product_id': 'skus.product_id',
            'shopify_variant_id': 'skus.variant_id',
            'current_inventory': 'skus.quantity_available',
            'days_of_inventory': 'case when skus.avg_daily_sales > 0'
                ~ ' then floor(greatest(skus.quantity_available, 0) / skus.avg_daily_sales) end',
            'is_trending': "skus.trend_direction = 'up'",
            'created_at': "'" ~ run_started_at ~ "'",
            'updated_at': "'" ~ run_started_at ~ "'",
        }) }}
    from skus
)

select * from final
