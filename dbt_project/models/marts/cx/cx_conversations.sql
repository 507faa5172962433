{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'chatwoot_conversation_id'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        pre_hook=["{{ delete_changed_keys(
            'select shop_domain, conversation_id as chatwoot_conversation_id from (' ~ changed_tile_conversations() ~ ') as changed',
            ['shop_domain', 'chatwoot_conversation_id']
        ) }}"],
        post_hook=["{{ ensure_contract_constraints() }}"],
    )
}}

{#-
    One row per Chatwoot conversation; the rules live in int_conversations_measured.
    Incremental by conversation (issue 17): a run rebuilds (delete+insert) the conversations of
    changed_tile_conversations(): measured or business-measured since the model's watermark,
    landed since, of a contact landed since (linked to a customer), or of a contact whose
    customer's segment changed (int_customer_personas).
-#}

-- read by the changed-key macros of incremental runs (rendered only then):
-- depends_on: {{ ref('stg_chatwoot__conversations') }}
-- depends_on: {{ source('raw_shopify', 'customers') }}

with

{% if is_incremental() %}
    changed as (
        {{ changed_tile_conversations() }}
    ),
{% endif %}

conversations as (
    select * from {{ ref('int_conversations_measured') }}
    {% if is_incremental() %}
        where (shop_domain, conversation_id) in (select changed.shop_domain, changed.conversation_id from changed)
    {% endif %}
),

business as (
    select * from {{ ref('int_conversation_business_minutes') }}
),

contacts as (
    select * from {{ ref('stg_chatwoot__contacts') }}
),

segments as (
    select * from {{ ref('int_customer_personas') }}
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
