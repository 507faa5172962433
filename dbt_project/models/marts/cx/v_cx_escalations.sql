with

escalations as (
    select * from {{ ref('tile_cx_escalations') }}
),

final as (
    select
        shop_domain,
        chatwoot_conversation_id,
        shopify_order_id,
        customer_segment,
        priority,
        sentiment,
        status,
        is_escalated,
        escalation_reason,
        escalated_at,
        is_sla_breach,
        sla_target_minutes,
        first_response_time_minutes,
        conversation_created_at,
        first_response_at,
        hours_open,
        escalation_severity,
        severity_rank
    from escalations
)

select * from final
