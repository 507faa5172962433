with

source as (
    select * from {{ source('raw_chatwoot', 'inboxes') }}
),

renamed as (
    select
        shop_domain,
        (payload ->> 'id')::bigint as inbox_id,
        payload ->> 'name' as inbox_name,
        payload ->> 'channel_type' as channel_type,
        updated_at,
        extracted_at
    from source
)

select * from renamed
