{#- One row per Chatwoot conversation; the rules live in int_conversations_measured. -#}

with

conversations as (
    select * from {{ ref('int_conversations_measured') }}
),

business as (
    select * from {{ ref('int_conversation_business_minutes') }}
),

contacts as (
    select * from {{ ref('stg_chatwoot__contacts') }}
),

segments as (
    select * from {{ ref('int_customers_segmented') }}
),

final as (
    select
        {{ deterministic_uuid(['conversations.shop_domain', "'conversation'", 'conversations.conversation_id']) }}
            as id,
        conversations.shop_domain::text as shop_domain,
        conversations.conversation_id::bigint as chatwoot_conversation_id,
        conversations.shopify_order_id::bigint as shopify_order_id,
        segments.primary_segment::text as customer_segment,
        conversations.first_response_time_minutes::integer as first_response_time_minutes,
        round(
            extract(epoch from conversations.resolved_at - conversations.created_at) / 3600.0, 2
        )::numeric as resolution_time_hours,
        conversations.sla_target_minutes::integer as sla_target_minutes,
        conversations.is_sla_breach::boolean as is_sla_breach,
        coalesce(business.has_working_hours, false)::boolean as has_working_hours,
        business.first_response_business_minutes::integer as first_response_business_minutes,
        business.resolution_business_minutes::integer as resolution_business_minutes,
        coalesce(business.is_sla_breach_business_hours, conversations.is_sla_breach)::boolean
            as is_sla_breach_business_hours,
        conversations.priority::text as priority,
        conversations.sentiment::text as sentiment,
        conversations.is_escalated::boolean as is_escalated,
        (case when conversations.is_escalated then conversations.escalation_reason end)::text
            as escalation_reason,
        conversations.escalated_at::timestamptz as escalated_at,
        conversations.status::text as status,
        conversations.assignee_id::bigint as assignee_id,
        conversations.created_at::timestamptz as conversation_created_at,
        conversations.first_response_at::timestamptz as first_response_at,
        conversations.resolved_at::timestamptz as resolved_at,
        conversations.created_at::timestamptz as created_at,
        coalesce(conversations.source_updated_at, conversations.updated_at)::timestamptz as updated_at
    from conversations
    left join business
        on
            conversations.shop_domain = business.shop_domain
            and conversations.conversation_id = business.conversation_id
    left join contacts
        on
            conversations.shop_domain = contacts.shop_domain
            and conversations.contact_id = contacts.contact_id
    left join segments
        on
            contacts.shop_domain = segments.shop_domain
            and contacts.shopify_customer_id = segments.customer_id
)

select * from final
