with

source as (
    select * from {{ source('raw_chatwoot', 'contacts') }}
),

flagged as (
    {{ flag_redacted_contacts('source', "payload ->> 'id'") }}
),

renamed as (
    select
        shop_domain,
        {{ cast_or_null("payload ->> 'id'", 'bigint') }} as contact_id,
        {{ redact("payload ->> 'name'", 'is_redacted') }} as contact_name,
        {{ redact("payload ->> 'email'", 'is_redacted') }} as email,
        {{ redact("payload ->> 'phone_number'", 'is_redacted') }} as phone_number,
        {{ redact("payload ->> 'identifier'", 'is_redacted') }} as identifier,
        {{ gid_to_bigint("payload -> 'custom_attributes' ->> 'shopify_customer_id'") }} as shopify_customer_id,
        {{ epoch_to_timestamp("payload ->> 'created_at'") }} as created_at,
        {{ epoch_to_timestamp("payload ->> 'last_activity_at'") }} as last_activity_at,
        updated_at,
        extracted_at,
        is_redacted
    from flagged
    where {{ value_is_valid("payload ->> 'id'", 'bigint') }}  -- no usable key: listed as rejected
)

select * from renamed
