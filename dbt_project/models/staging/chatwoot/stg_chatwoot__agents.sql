with

source as (
    select * from {{ source('raw_chatwoot', 'agents') }}
),

renamed as (
    select
        shop_domain,
        {{ cast_or_null("payload ->> 'id'", 'bigint') }} as agent_id,
        {{ cast_or_null("payload ->> 'account_id'", 'bigint') }} as account_id,
        payload ->> 'name' as agent_name,
        payload ->> 'email' as agent_email,
        payload ->> 'role' as agent_role,
        payload ->> 'availability_status' as availability_status,
        updated_at,
        extracted_at
    from source
    where {{ value_is_valid("payload ->> 'id'", 'bigint') }}  -- no usable key: listed as rejected
)

select * from renamed
