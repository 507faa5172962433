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
    where urgency_rank <= {{ views_tile_list_size() }}
    order by urgency_rank
)

select * from final
