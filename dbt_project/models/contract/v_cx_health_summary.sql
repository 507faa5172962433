with

health as (
    select * from {{ ref('tile_cx_health') }}
),

final as (
    select
        shop_domain,
        window_start,
        window_end,
        total_conversations,
        open_conversations,
        resolved_conversations,
        avg_first_response_minutes,
        median_first_response_minutes,
        avg_resolution_hours,
        sla_breaches,
        sla_breach_rate_pct,
        open_sla_breaches,
        escalations,
        escalation_rate_pct,
        positive_conversations,
        neutral_conversations,
        negative_conversations,
        very_negative_conversations,
        positive_sentiment_pct
    from health
)

select * from final
