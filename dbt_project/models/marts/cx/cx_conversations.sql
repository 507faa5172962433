{#-
    One row per Chatwoot conversation; the rules live in int_conversations_measured. Its
    incremental config (key, pre-hook) is in _cx__models.yml.
    Incremental by conversation (issue 17): a run rebuilds (delete+insert) the conversations of
    changed_tile_conversations(): measured or business-measured since the model's watermark,
    landed since, of a contact landed since (linked to a customer), or of a contact whose
    customer's segment changed (int_customer_personas).
-#}

-- read by the changed-key macros of incremental runs (rendered only then):
-- depends_on: {{ ref('stg_chatwoot__conversations') }}
-- depends_on: {{ source('raw_shopify', 'customers') }}

with

conversations as (
    select * from {{ ref('int_conversations_measured') }}
    {{ where_key_changed(changed_tile_conversations(), ['shop_domain', 'conversation_id']) }}
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
        {{ typed_columns('conversations', {
            'id': deterministic_uuid(['conversations.shop_domain', "'conversation'", 'conversations.conversation_id']),
            'chatwoot_conversation_id': 'conversations.conversation_id',
            'customer_segment': 'segments.primary_segment',
            'resolution_time_hours':
                'round(extract(epoch from conversations.resolved_at - conversations.created_at) / 3600.0, 2)',
            'has_working_hours': 'coalesce(business.has_working_hours, false)',
            'first_response_business_minutes': 'business.first_response_business_minutes',
            'resolution_business_minutes': 'business.resolution_business_minutes',
            'is_sla_breach_business_hours':
                'coalesce(business.is_sla_breach_business_hours, conversations.is_sla_breach)',
            'escalation_reason': 'case when conversations.is_escalated then conversations.escalation_reason end',
            'conversation_created_at': 'conversations.created_at',
            'updated_at': 'coalesce(conversations.source_updated_at, conversations.updated_at)',
        }) }}
    from conversations
    {{ join_each('conversations', ['business'], ['shop_domain', 'conversation_id']) }}
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
