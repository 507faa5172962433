{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'message_id'],
        meta={'changed_at': 'staged_at'},
        on_schema_change='fail',
        pre_hook=["{{ advance_key_watermark() }}"],
        post_hook=["{{ delete_vanished_raw_rows(source('raw_chatwoot', 'messages'), 'message_id') }}"],
        indexes=[
            {'columns': ['shop_domain', 'message_id']},
            {'columns': ['shop_domain', 'conversation_id']},
            {'columns': ['shop_domain', 'sender_id']},
            {'columns': ['staged_at']},
        ],
    )
}}

{#-
    Incremental (issue 17), like stg_chatwoot__conversations: the raw messages landed since the
    model's watermark, and those sent by a contact that changed or was redacted since.
-#}

with

source as (
    select raw_messages.*
    from {{ source('raw_chatwoot', 'messages') }} as raw_messages
    {%- if is_incremental() %}
        where (raw_messages.shop_domain, raw_messages.id) in (
            {{ chatwoot_rows_to_restage(
                source('raw_chatwoot', 'messages'), 'message_id', 'sender_id', only_when="sender_type = 'Contact'"
            ) }}
        )
    {%- endif %}
),

flagged as (
    {{ flag_redacted_contacts(
        'source',
        "payload ->> 'sender_id'",
        only_when="source.payload ->> 'sender_type' = 'Contact'",
    ) }}
),

renamed as (
    select
        shop_domain,
        {{ cast_or_null("payload ->> 'id'", 'bigint') }} as message_id,
        coalesce(
            {{ cast_or_null("payload ->> 'conversation_id'", 'bigint') }},
            {{ cast_or_null("payload -> 'conversation' ->> 'id'", 'bigint') }}
        ) as conversation_id,
        {{ cast_or_null("payload ->> 'account_id'", 'bigint') }} as account_id,
        {{ cast_or_null("payload ->> 'inbox_id'", 'bigint') }} as inbox_id,
        {{ redact("payload ->> 'content'", 'is_redacted') }} as content,
        -- REST answers send the number, webhooks the name: both are understood
        case
            when payload ->> 'message_type' ~ '^[0-3]$' then (payload ->> 'message_type')::integer
            when lower(payload ->> 'message_type') = 'incoming' then 0
            when lower(payload ->> 'message_type') = 'outgoing' then 1
            when lower(payload ->> 'message_type') = 'activity' then 2
            when lower(payload ->> 'message_type') = 'template' then 3
        end as message_type,
        case
            when payload ->> 'message_type' = '0' then 'incoming'
            when payload ->> 'message_type' = '1' then 'outgoing'
            when payload ->> 'message_type' = '2' then 'activity'
            when payload ->> 'message_type' = '3' then 'template'
            when
                lower(payload ->> 'message_type') in ('incoming', 'outgoing', 'activity', 'template')
                then lower(payload ->> 'message_type')
        end as message_direction,
        coalesce({{ cast_or_null("payload ->> 'private'", 'boolean') }}, false) as is_private,
        {{ epoch_to_timestamp("payload ->> 'created_at'") }} as created_at,
        payload ->> 'sender_type' as sender_type,
        {{ cast_or_null("payload ->> 'sender_id'", 'bigint') }} as sender_id,
        updated_at,
        extracted_at,
        is_redacted,
        '{{ run_started_at }}'::timestamptz as staged_at
    from flagged
    where {{ value_is_valid("payload ->> 'id'", 'bigint') }}  -- no usable key: listed as rejected
)

select * from renamed
