with

alerts as (
    select * from {{ ref('tile_inventory_alerts') }}
),

final as (
    select
        shop_domain,
        snapshot_date,
        shopify_product_id,
        shopify_variant_id,
        sku,
        quantity_available,
        reorder_point,
        avg_daily_sales,
        days_of_cover,
        stock_status,
        velocity_tier,
        alert_severity,
        alert_rank,
        alert_message
    from alerts
    where urgency_rank <= {{ views_tile_list_size() }}
    order by urgency_rank
)

select * from final
