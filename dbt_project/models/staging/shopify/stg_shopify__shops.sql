with

source as (
    select * from {{ source('raw_shopify', 'shops') }}
),

renamed as (
    select
        shop_domain,
        id as shop_gid,
        {{ gid_to_bigint('id') }} as shop_id,
        payload ->> 'name' as shop_name,
        payload ->> 'myshopifyDomain' as myshopify_domain,
        coalesce(payload ->> 'ianaTimezone', 'UTC') as iana_timezone,
        payload ->> 'currencyCode' as currency_code,
        {{ cast_or_null("payload ->> 'createdAt'", 'timestamptz') }} as created_at,
        updated_at,
        extracted_at
    from source
)

select * from renamed
