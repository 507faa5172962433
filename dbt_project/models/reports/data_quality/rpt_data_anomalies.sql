{{
    config(
        indexes=[{'columns': ['shop_domain']}],
    )
}}

with

shops as (
    select * from {{ ref('shops') }}
),

daily as (
    select * from {{ ref('sales_metrics_daily') }}
),

conversations as (
    select * from {{ ref('cx_conversations') }}
),

calendar as (
    select
        shop_domain,
        date as metric_date
    from {{ ref('shop_days') }}
    where days_ago between 1 and 118
),

cx_daily as (
    select
        conversations.shop_domain,
        {{ local_date('conversations.conversation_created_at', 'shops.iana_timezone') }} as metric_date,
        count(*) as conversations
    from conversations
    inner join shops
        on conversations.shop_domain = shops.shop_domain
    where conversations.conversation_created_at >= {{ hotrod_as_of() }} - interval '121 days'
    group by 1, 2
),

metrics as (
    select
        calendar.shop_domain,
        'daily_revenue' as metric,
        calendar.metric_date,
        coalesce(daily.total_revenue, 0)::numeric as metric_value
    from calendar
    left join daily
        on
            calendar.shop_domain = daily.shop_domain
            and calendar.metric_date = daily.date

    union all

    select
        calendar.shop_domain,
        'cx_volume' as metric,
        calendar.metric_date,
        coalesce(cx_daily.conversations, 0)::numeric as metric_value
    from calendar
    left join cx_daily
        on
            calendar.shop_domain = cx_daily.shop_domain
            and calendar.metric_date = cx_daily.metric_date
),

baselined as (
    select
        *,
        avg(metric_value) over trailing_28 as baseline_mean,
        stddev_samp(metric_value) over trailing_28 as baseline_stddev,
        count(*) over trailing_28 as baseline_days
    from metrics
    window trailing_28 as (
        partition by shop_domain, metric
        order by metric_date
        rows between 28 preceding and 1 preceding
    )
),

final as (
    select
        shop_domain,
        metric,
        metric_date,
        metric_value,
        round(baseline_mean, 2) as baseline_mean,
        round(baseline_stddev, 2) as baseline_stddev,
        round((metric_value - baseline_mean) / nullif(baseline_stddev, 0), 2) as z_score,
        coalesce(abs((metric_value - baseline_mean) / nullif(baseline_stddev, 0)) >= 3, false) as is_anomaly,
        case
            when (metric_value - baseline_mean) / nullif(baseline_stddev, 0) >= 3 then 'spike'
            when (metric_value - baseline_mean) / nullif(baseline_stddev, 0) <= -3 then 'drop'
            else 'normal'
        end as direction
    from baselined
    where baseline_days = 28
)

select * from final
