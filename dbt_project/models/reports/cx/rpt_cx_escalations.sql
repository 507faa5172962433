with

conversations as (
    select * from {{ ref('cx_conversations') }}
),

classified as (
    -- the open escalations and SLA breaches, each with its severity
    select
        *,
        case
            when priority = 'urgent' or sentiment = 'very_negative' then 'critical'
            when priority = 'high' or sentiment = 'negative' or (is_escalated and is_sla_breach) then 'high'
            when is_escalated or is_sla_breach then 'medium'
            else 'low'
        end::vocab.severity as escalation_severity
    from conversations
    where
        status in ('open', 'pending')
        and (is_escalated or is_sla_breach)
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
        round(extract(epoch from ({{ hotrod_as_of() }} - conversation_created_at))::numeric / 3600, 1)
            as hours_open,
        escalation_severity,
        {{ severity_rank('escalation_severity') }} as severity_rank
    from classified
),

by_urgency as (
    {{ urgency_ranked('final', ['severity_rank asc', 'hours_open desc nulls last', 'chatwoot_conversation_id asc']) }}
)

select * from by_urgency
