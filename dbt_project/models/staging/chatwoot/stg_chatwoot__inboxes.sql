with

source as (
    select * from {{ source('raw_chatwoot', 'inboxes') }}
),

renamed as (
    select
        shop_domain,
        {{ cast_or_null("payload ->> 'id'", 'bigint') }} as inbox_id,
        payload ->> 'name' as inbox_name,
        payload ->> 'channel_type' as channel_type,
        updated_at,
        extracted_at
    from source
    where {{ value_is_valid("payload ->> 'id'", 'bigint') }}  -- no usable key: listed as rejected
)

select * from renamed
