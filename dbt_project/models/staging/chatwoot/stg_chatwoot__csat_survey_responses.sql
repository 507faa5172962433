{#-
    One row per CSAT survey response (the customer's 1-5 rating of a resolved conversation).
    The customer's feedback text is nulled for redacted customers; the contact's own details stay
    in stg_chatwoot__contacts.
-#}
with

source as (
    select * from {{ source('raw_chatwoot', 'csat_survey_responses') }}
),

redacted as (
    {{ redacted_contacts() }}
),

flagged as (
    select
        source.*,
        redacted.contact_id is not null as is_redacted
    from source
    left join redacted
        on
            source.shop_domain = redacted.shop_domain
            and (source.payload #>> '{contact,id}')::bigint = redacted.contact_id
),

renamed as (
    select
        shop_domain,
        (payload ->> 'id')::bigint as csat_response_id,
        (payload ->> 'conversation_id')::bigint as conversation_id,
        (payload #>> '{contact,id}')::bigint as contact_id,
        (payload #>> '{assigned_agent,id}')::bigint as assigned_agent_id,
        (payload ->> 'message_id')::bigint as message_id,
        (payload ->> 'rating')::integer as rating,
        {{ redact("payload ->> 'feedback_message'", 'is_redacted') }} as feedback_message,
        to_timestamp((payload ->> 'created_at')::double precision) as responded_at,
        updated_at,
        extracted_at
    from flagged
)

select * from renamed
