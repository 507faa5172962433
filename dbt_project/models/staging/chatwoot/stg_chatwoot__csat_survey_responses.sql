{#-
    One row per CSAT survey response (the customer's 1-5 rating of a resolved conversation).
    The customer's feedback text is nulled for redacted customers; the contact's own details stay
    in stg_chatwoot__contacts.
-#}
with

source as (
    select * from {{ source('raw_chatwoot', 'csat_survey_responses') }}
),

flagged as (
    {{ flag_redacted_contacts('source', "payload #>> '{contact,id}'") }}
),

renamed as (
    select
        shop_domain,
        {{ cast_or_null("payload ->> 'id'", 'bigint') }} as csat_response_id,
        {{ cast_or_null("payload ->> 'conversation_id'", 'bigint') }} as conversation_id,
        {{ cast_or_null("payload #>> '{contact,id}'", 'bigint') }} as contact_id,
        {{ cast_or_null("payload #>> '{assigned_agent,id}'", 'bigint') }} as assigned_agent_id,
        {{ cast_or_null("payload ->> 'message_id'", 'bigint') }} as message_id,
        {{ cast_or_null("payload ->> 'rating'", 'integer') }} as rating,
        {{ redact("payload ->> 'feedback_message'", 'is_redacted') }} as feedback_message,
        {{ epoch_to_timestamp("payload ->> 'created_at'") }} as responded_at,
        updated_at,
        extracted_at
    from flagged
    where {{ value_is_valid("payload ->> 'id'", 'bigint') }}  -- no usable key: listed as rejected
)

select * from renamed
