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
        {{ coalesced('daily', ['total_revenue', 'total_orders']) }},
        daily.avg_order_value,
        {{ coalesced('daily', ['refunded_amount', 'net_revenue']) }},
        daily.revenue_vs_last_week_pct,
        daily.fulfillment_rate_pct
    from calendar
    {{ join_each('calendar', ['daily'], ['shop_domain', 'date']) }}
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
