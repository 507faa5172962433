{{
    config(
        materialized='table',
        post_hook=[
            "{{ hotrod_index('order_idx', '(shop_domain, order_id)') }}",
            "{{ hotrod_index('customer_idx', '(shop_domain, customer_id)') }}",
        ],
    )
}}

with

source as (
    select * from {{ source('raw_shopify', 'orders') }}
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
            and source.payload -> 'customer' ->> 'id' = redacted.customer_gid
),

renamed as (
    select
        shop_domain,
        id as order_gid,
        {{ gid_to_bigint('id') }} as order_id,
        payload ->> 'name' as order_name,
        (payload ->> 'createdAt')::timestamptz as created_at,
        updated_at,
        (payload ->> 'processedAt')::timestamptz as processed_at,
        (payload ->> 'cancelledAt')::timestamptz as cancelled_at,
        (payload ->> 'closedAt')::timestamptz as closed_at,
        coalesce((payload ->> 'test')::boolean, false) as is_test,
        payload ->> 'displayFinancialStatus' as financial_status,
        payload ->> 'displayFulfillmentStatus' as fulfillment_status,
        payload ->> 'currencyCode' as currency_code,
        {{ jsonb_text_array("payload -> 'tags'") }} as tags,
        {{ jsonb_text_array("payload -> 'discountCodes'") }} as discount_codes,
        payload ->> 'sourceName' as source_name,
        {{ shop_money("payload -> 'totalPriceSet'") }} as total_price,
        {{ shop_money("payload -> 'subtotalPriceSet'") }} as subtotal_price,
        {{ shop_money("payload -> 'totalDiscountsSet'") }} as total_discounts,
        {{ shop_money("payload -> 'totalRefundedSet'") }} as total_refunded,
        payload -> 'customer' ->> 'id' as customer_gid,
        {{ gid_to_bigint("payload -> 'customer' ->> 'id'") }} as customer_id,
        {{ redact("payload -> 'shippingAddress' ->> 'provinceCode'", 'is_redacted') }} as shipping_province_code,
        {{ redact("payload -> 'shippingAddress' ->> 'countryCode'", 'is_redacted') }} as shipping_country_code,
        extracted_at,
        is_redacted
    from flagged
)

select * from renamed
