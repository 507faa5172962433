with

resolution as (
    select * from {{ ref('tile_sla_resolution') }}
),

final as (
    select
        shop_domain,
        operators,
        sla_breaches_detected,
        sla_breaches_resolved,
        resolution_rate_pct,
        responded_conversations,
        median_response_time,
        p90_response_time,
        p95_response_time
    from resolution
)

select * from final
