with

skus as (
    select * from {{ ref('sku_performance') }}
),

categories as (
    select * from {{ ref('product_categories') }}
),

final as (
    select
        skus.shop_domain,
        skus.sku,
        skus.shopify_product_id,
        skus.shopify_variant_id,
        categories.category_l1,
        categories.category_l2,
        categories.category_l3,
        categories.is_performance_part,
        categories.is_restoration_part,
        categories.is_custom_fabrication,
        categories.fits_vehicle_years,
        categories.fits_makes,
        categories.fits_models,
        categories.margin_pct,
        categories.inventory_velocity,
        skus.revenue_30d,
        skus.units_sold_30d,
        skus.orders_30d,
        skus.current_inventory,
        skus.days_of_inventory,
        skus.is_trending,
        skus.trend_direction,
        skus.last_sale_at
    from skus
    {{ join_each('skus', ['categories'], ['shop_domain', 'shopify_product_id']) }}
)

select * from final
