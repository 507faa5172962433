with

aggregate_metrics as (
    select * from {{ ref('tile_ops_aggregate') }}
),

final as (
    select
        shop_domain,
        activation_date,
        total_shops,
        shops_activated,
        activation_rate_pct,
        activation_rate_7d_avg,
        sla_breaches_detected_7d,
        sla_breaches_resolved_7d,
        sla_resolution_rate_7d_pct,
        median_response_time_7d,
        p90_response_time_7d,
        p95_response_time_7d,
        open_fulfillment_sla_breaches,
        open_cx_sla_breaches,
        cx_escalations_7d
    from aggregate_metrics
)

select * from final
