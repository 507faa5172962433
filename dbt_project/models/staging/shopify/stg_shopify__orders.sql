{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'order_id'],
        meta={'changed_at': 'staged_at'},
        on_schema_change='fail',
        pre_hook=["{{ delete_changed_orders() }}", "{{ advance_key_watermark() }}"],
        post_hook=["{{ ensure_contract_constraints() }}", "{{ delete_vanished_orders(
            '(select shop_domain, ' ~ gid_to_bigint('id') ~ ' as order_id from ' ~ source('raw_shopify', 'orders') ~ ' where deleted_at is null)',
            '(select count(*) from ' ~ source('raw_shopify', 'orders') ~ ') - (select count(*) from ' ~ source('raw_shopify', 'orders') ~ ' where deleted_at is not null)'
        ) }}"],
        indexes=[
            {'columns': ['shop_domain', 'order_id']},
            {'columns': ['shop_domain', 'customer_id']},
            {'columns': ['shop_domain', 'order_name']},
            {'columns': ['staged_at']},
        ],
    )
}}

{#-
    Bad values (issue 20): timestamps, flags and amounts are read as text and cast with
    cast_or_null: a value that does not parse is null here and listed, with the raw text, in
    stg_shopify__rejected_values; it never stops the build.

    Performance (issue 9): every field is unpacked by one jsonb_to_record call per order instead
    of one `payload ->> 'field'` lookup per column. Incremental: a run re-stages only the raw
    orders landed since the model's watermark (read through the index on extracted_at; issue 17:
    comparing every raw order with its staged row cost ~5 s of every real-time run at 1M
    orders), plus the orders of customers redacted since they were staged; `staged_at` stamps
    the run, and every model downstream picks the orders staged after its own newest
    `staged_at`.
-#}

with

source as (
    select raw_orders.*
    from {{ source('raw_shopify', 'orders') }} as raw_orders
    where
        raw_orders.deleted_at is null
    {% if is_incremental() %}
        and (raw_orders.shop_domain, raw_orders.id) in (
            select
                landed.shop_domain,
                landed.id
            from {{ source('raw_shopify', 'orders') }} as landed
            where {{ landed_since_watermark('landed.extracted_at') }}
            union
            {{ orders_of_recent_redactions() }}
        )
    {% endif %}
),

redacted as (
    {{ redacted_customers() }}
),

unpacked as (
    select
        source.shop_domain,
        source.id,
        source.updated_at,
        source.extracted_at,
        p.*
    from source
    cross join lateral jsonb_to_record(source.payload) as p (
        "name" text,
        "createdAt" text,
        "processedAt" text,
        "cancelledAt" text,
        "closedAt" text,
        "test" text,
        "displayFinancialStatus" text,
        "displayFulfillmentStatus" text,
        "currencyCode" text,
        "tags" jsonb,
        "discountCodes" jsonb,
        "sourceName" text,
        "totalPriceSet" jsonb,
        "subtotalPriceSet" jsonb,
        "totalDiscountsSet" jsonb,
        "totalRefundedSet" jsonb,
        "customer" jsonb,
        "shippingAddress" jsonb
    )
),

flagged as (
    select
        unpacked.*,
        unpacked.customer ->> 'id' as customer_gid,
        redacted.customer_gid is not null as is_redacted
    from unpacked
    left join redacted
        on
            unpacked.shop_domain = redacted.shop_domain
            and unpacked.customer ->> 'id' = redacted.customer_gid
),

renamed as (
    select
        shop_domain,
        id as order_gid,
        {{ gid_to_bigint('id') }} as order_id,
        name as order_name,
        {{ cast_or_null('"createdAt"', 'timestamptz') }} as created_at,
        updated_at,
        {{ cast_or_null('"processedAt"', 'timestamptz') }} as processed_at,
        {{ cast_or_null('"cancelledAt"', 'timestamptz') }} as cancelled_at,
        {{ cast_or_null('"closedAt"', 'timestamptz') }} as closed_at,
        coalesce({{ cast_or_null('test', 'boolean') }}, false) as is_test,
        "displayFinancialStatus" as financial_status,
        "displayFulfillmentStatus" as fulfillment_status,
        "currencyCode" as currency_code,
        {{ jsonb_text_array('"tags"') }} as tags,
        {{ jsonb_text_array('"discountCodes"') }} as discount_codes,
        "sourceName" as source_name,
        {{ shop_money('"totalPriceSet"') }} as total_price,
        {{ shop_money('"subtotalPriceSet"') }} as subtotal_price,
        {{ shop_money('"totalDiscountsSet"') }} as total_discounts,
        {{ shop_money('"totalRefundedSet"') }} as total_refunded,
        customer_gid,
        {{ gid_to_bigint('customer_gid') }} as customer_id,
        {{ redact("\"shippingAddress\" ->> 'provinceCode'", 'is_redacted') }} as shipping_province_code,
        {{ redact("\"shippingAddress\" ->> 'countryCode'", 'is_redacted') }} as shipping_country_code,
        extracted_at,
        is_redacted,
        '{{ run_started_at }}'::timestamptz as staged_at
    from flagged
)

select * from renamed
