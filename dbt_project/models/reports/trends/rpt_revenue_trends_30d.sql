with

daily as (
    select * from {{ ref('sales_metrics_daily') }}
),

calendar as (
    select
        shop_domain,
        date
    from {{ ref('shop_days') }}
    where days_ago < 30
),

joined as (
    select
        calendar.shop_domain,
        calendar.date,
        coalesce(daily.total_revenue, 0) as total_revenue,
        coalesce(daily.total_orders, 0) as total_orders,
        daily.avg_order_value,
        coalesce(daily.refunded_amount, 0) as refunded_amount,
        coalesce(daily.net_revenue, 0) as net_revenue,
        daily.revenue_vs_last_week_pct,
        daily.fulfillment_rate_pct
    from calendar
    left join daily
        on
            calendar.shop_domain = daily.shop_domain
            and calendar.date = daily.date
),

final as (
    select
        *,
        round(
            avg(total_revenue) over (
                partition by shop_domain order by date rows between 6 preceding and current row
            ),
            2
        ) as revenue_7d_moving_avg,
        sum(total_revenue) over (
            partition by shop_domain order by date rows between unbounded preceding and current row
        ) as cumulative_revenue_30d
    from joined
)

select * from final
