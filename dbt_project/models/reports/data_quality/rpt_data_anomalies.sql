with

activity as (
    select * from {{ ref('shop_day_activity') }}
    where days_ago between 1 and 118
),

metrics as (
    -- one row per shop, day and metric watched
    select
        activity.shop_domain,
        watched.metric,
        activity.date as metric_date,
        watched.metric_value
    from activity
    cross join lateral (
        values
        ('daily_revenue', activity.total_revenue::numeric),
        ('cx_volume', activity.conversations::numeric)
    ) as watched (metric, metric_value)
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
