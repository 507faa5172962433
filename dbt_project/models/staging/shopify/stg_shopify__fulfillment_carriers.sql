{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'order_id'],
        meta={'changed_at': 'staged_at'},
        on_schema_change='fail',
        pre_hook=["{{ delete_changed_orders(ref('stg_shopify__orders')) }}"],
        indexes=[
            {'columns': ['shop_domain', 'fulfillment_id']},
            {'columns': ['shop_domain', 'order_id']},
            {'columns': ['staged_at']},
        ],
    )
}}

{#-
    Carrier of each shipment (issue 18): the first tracking entry of Fulfillment.trackingInfo
    (company, number, url) and the order's shipping method (Order.shippingLine title and code).
    Incremental like stg_shopify__fulfillments: the orders staged since the last run.
-#}

with

source as (
    -- depends_on: {{ ref('stg_shopify__orders') }}
    {{ restaged_raw_orders() }}
),

unnested as (
    -- One jsonb_to_record per payload: a large order payload is stored compressed out of line,
    -- and every `payload -> key` would decompress it again.
    select
        source.shop_domain,
        source.id as order_gid,
        parts."shippingLine" as shipping_line,
        fulfillment.id as fulfillment_gid,
        fulfillment."trackingInfo" -> 0 as tracking,
        source.staged_at
    from source
    cross join
        lateral jsonb_to_record(source.payload) as parts (
            "shippingLine" jsonb,
            fulfillments jsonb
        )
    cross join lateral jsonb_to_recordset(
        case
            when jsonb_typeof(parts.fulfillments) = 'array'
                then parts.fulfillments
            else '[]'::jsonb
        end
    ) as fulfillment ("id" text, "trackingInfo" jsonb)
),

renamed as (
    select
        shop_domain,
        {{ gid_to_bigint('fulfillment_gid') }} as fulfillment_id,
        {{ gid_to_bigint('order_gid') }} as order_id,
        nullif(trim(tracking ->> 'company'), '') as carrier,
        tracking ->> 'number' as tracking_number,
        tracking ->> 'url' as tracking_url,
        shipping_line ->> 'title' as shipping_method,
        shipping_line ->> 'code' as shipping_method_code,
        staged_at
    from unnested
)

select * from renamed
