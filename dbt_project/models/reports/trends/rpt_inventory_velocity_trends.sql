with

window_snapshots as (
    {{ shop_window(ref('inventory_snapshots'), 'snapshot_date', 30) }}
),

final as (
    select
        shop_domain,
        snapshot_date,
        velocity_tier,
        count(*) as skus,
        sum(quantity_available) as units_available,
        sum(units_sold_7d) as units_sold_7d,
        sum(units_sold_30d) as units_sold_30d,
        round(avg(avg_daily_sales), 3) as avg_daily_sales_per_sku,
        round(avg(days_of_cover), 1) as avg_days_of_cover,
        count(*) filter (where stock_status = 'out_of_stock') as out_of_stock_skus,
        count(*) filter (where stock_status = 'low_stock') as low_stock_skus,
        count(*) filter (where stock_status = 'overstock') as overstock_skus
    from window_snapshots
    group by shop_domain, snapshot_date, velocity_tier
)

select * from final
