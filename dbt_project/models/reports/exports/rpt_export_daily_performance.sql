with

shops as (
    select * from {{ ref('shops') }}
),

daily as (
    select * from {{ ref('sales_metrics_daily') }}
),

final as (
    select
        daily.shop_domain,
        daily.date,
        shops.currency_code,
        daily.total_revenue,
        daily.total_orders,
        daily.avg_order_value,
        daily.revenue_vs_last_week_pct,
        daily.orders_vs_last_week_pct,
        daily.orders_fulfilled,
        daily.fulfillment_rate_pct,
        daily.refunded_amount,
        daily.net_revenue
    from daily
    inner join shops
        on daily.shop_domain = shops.shop_domain
    where {{ within_last_days('daily.date', 90) }}
)

select * from final
