with

performance as (
    select * from {{ ref('tile_sla_performance') }}
),

final as (
    select
        shop_domain,
        operator_id,
        active_days,
        sla_breaches_detected,
        sla_breaches_resolved,
        resolution_rate_pct,
        avg_median_response_time,
        max_p90_response_time,
        max_p95_response_time
    from performance
)

select * from final
