with

source as (
    select * from {{ source('raw_shopify', 'customers') }}
    where deleted_at is null  -- deleted in Shopify: kept in raw, excluded here
),

redacted as (
    {{ redacted_customers() }}
),

flagged as (
    select
        source.*,
        redacted.customer_gid is not null as is_redacted
    from source
    left join redacted
        on
            source.shop_domain = redacted.shop_domain
            and source.id = redacted.customer_gid
),

renamed as (
    select
        shop_domain,
        id as customer_gid,
        {{ gid_to_bigint('id') }} as customer_id,
        {{ redact("payload ->> 'firstName'", 'is_redacted') }} as first_name,
        {{ redact("payload ->> 'lastName'", 'is_redacted') }} as last_name,
        {{ redact("payload ->> 'displayName'", 'is_redacted') }} as display_name,
        {{ redact("payload -> 'defaultEmailAddress' ->> 'emailAddress'", 'is_redacted') }} as email,
        {{ redact("payload -> 'defaultPhoneNumber' ->> 'phoneNumber'", 'is_redacted') }} as phone,
        {{ redact("payload -> 'defaultAddress' ->> 'city'", 'is_redacted') }} as city,
        {{ redact("payload -> 'defaultAddress' ->> 'provinceCode'", 'is_redacted') }} as province_code,
        {{ redact("payload -> 'defaultAddress' ->> 'countryCode'", 'is_redacted') }} as country_code,
        {{ redact("payload -> 'defaultAddress' ->> 'zip'", 'is_redacted') }} as zip,
        {{ jsonb_text_array("payload -> 'tags'") }} as tags,
        lower(payload ->> 'state') as customer_state,
        coalesce({{ cast_or_null("payload ->> 'verifiedEmail'", 'boolean') }}, false) as is_verified_email,
        {{ cast_or_null("payload ->> 'numberOfOrders'", 'integer') }} as number_of_orders,
        {{ cast_or_null("payload -> 'amountSpent' ->> 'amount'", money_type()) }} as amount_spent,
        {{ cast_or_null("payload ->> 'createdAt'", 'timestamptz') }} as created_at,
        updated_at,
        extracted_at,
        is_redacted
    from flagged
)

select * from renamed
