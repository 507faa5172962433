with

source as (
    select * from {{ source('raw_shopify', 'products') }}
    where deleted_at is null  -- deleted in Shopify: kept in raw, excluded here
),

renamed as (
    select
        shop_domain,
        id as product_gid,
        {{ gid_to_bigint('id') }} as product_id,
        payload ->> 'title' as product_title,
        payload ->> 'handle' as handle,
        payload ->> 'productType' as product_type,
        payload ->> 'vendor' as vendor,
        {{ jsonb_text_array("payload -> 'tags'") }} as tags,
        lower(payload ->> 'status') as product_status,
        payload -> 'fitment' ->> 'value' as fitment_value,
        payload -> 'fitment' ->> 'type' as fitment_type,
        {{ cast_or_null("payload ->> 'createdAt'", 'timestamptz') }} as created_at,
        updated_at,
        extracted_at
    from source
)

select * from renamed
