with

precomputed as (
    select * from {{ ref('pre_inventory_velocity_trends') }}
),

final as (
    select
        shop_domain,
        snapshot_date,
        velocity_tier,
        skus,
        units_available,
        units_sold_7d,
        units_sold_30d,
        avg_daily_sales_per_sku,
        avg_days_of_cover,
        out_of_stock_skus,
        low_stock_skus,
        overstock_skus
    from precomputed
)

select * from final
