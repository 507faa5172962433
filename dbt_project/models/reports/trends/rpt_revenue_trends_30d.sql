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
        round({{ rolling('avg', 'total_revenue', 'date', 6) }}, 2) as revenue_7d_moving_avg,
        {{ rolling('sum', 'total_revenue', 'date', 'unbounded') }} as cumulative_revenue_30d
    from joined
)

select * from final
