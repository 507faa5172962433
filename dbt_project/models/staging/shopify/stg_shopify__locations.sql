with

source as (
    select * from {{ source('raw_shopify', 'locations') }}
),

renamed as (
    select
        shop_domain,
        id as location_gid,
        {{ gid_to_bigint('id') }} as location_id,
        payload ->> 'name' as location_name,
        coalesce({{ cast_or_null("payload ->> 'isActive'", 'boolean') }}, true) as is_active,
        coalesce({{ cast_or_null("payload ->> 'fulfillsOnlineOrders'", 'boolean') }}, false) as fulfills_online_orders,
        payload -> 'address' ->> 'city' as city,
        payload -> 'address' ->> 'provinceCode' as province_code,
        payload -> 'address' ->> 'countryCode' as country_code,
        {{ cast_or_null("payload ->> 'createdAt'", 'timestamptz') }} as created_at,
        updated_at,
        extracted_at
    from source
)

select * from renamed
