with

precomputed as (
    select * from {{ ref('pre_operator_activity_summary') }}
),

final as (
    select
        shop_domain,
        active_operators_7d,
        sla_breaches_detected_7d,
        sla_breaches_resolved_7d,
        resolution_rate_7d_pct,
        worst_p95_response_time_7d,
        active_operators_30d,
        operators_below_target_30d,
        top_operator_id,
        top_efficiency_score
    from precomputed
)

select * from final
