with

precomputed as (
    select * from {{ ref('pre_data_anomalies') }}
),

final as (
    select
        shop_domain,
        metric,
        metric_date,
        metric_value,
        baseline_mean,
        baseline_stddev,
        z_score,
        is_anomaly,
        direction
    from precomputed
)

select * from final
