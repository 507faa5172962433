with

conversations as (
    select * from {{ ref('cx_conversations') }}
),

active as (
    select *
    from conversations
    where
        status in ('open', 'pending')
        and (is_escalated or is_sla_breach)
),

classified as (
    select
        *,
        case
            when priority = 'urgent' or sentiment = 'very_negative' then 'critical'
            when priority = 'high' or sentiment = 'negative' or (is_escalated and is_sla_breach) then 'high'
            when is_escalated or is_sla_breach then 'medium'
            else 'low'
        end::vocab.severity as escalation_severity
    from active
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
    select
        *,
        row_number() over (
            partition by shop_domain
            order by severity_rank asc, hours_open desc nulls last, chatwoot_conversation_id asc
        ) as urgency_rank
    from final
)

select * from by_urgency
