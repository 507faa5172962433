{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'order_id'],
        meta={'changed_at': 'staged_at'},
        on_schema_change='fail',
        pre_hook=["{{ delete_changed_orders(ref('stg_shopify__orders')) }}"],
        indexes=[
            {'columns': ['shop_domain', 'order_id']},
            {'columns': ['shop_domain', 'fulfillment_id']},
            {'columns': ['staged_at']},
        ],
    )
}}

{#-
    Incremental (issue 9): a daily run re-stages only the orders staged since the last run
    (every child row of such an order is deleted and inserted again).
-#}

with

source as (
    -- depends_on: {{ ref('stg_shopify__orders') }}
    {{ restaged_raw_orders() }}
),

unnested as (
    select
        source.shop_domain,
        source.id as order_gid,
        source.extracted_at,
        source.staged_at,
        fulfillment.*
    from source
    cross join lateral jsonb_to_recordset(
        case
            when jsonb_typeof(source.payload -> 'fulfillments') = 'array'
                then source.payload -> 'fulfillments'
            else '[]'::jsonb
        end
    ) as fulfillment (
        "id" text,
        "status" text,
        "displayStatus" text,
        "createdAt" text,
        "updatedAt" text,
        "deliveredAt" text,
        "inTransitAt" text,
        "estimatedDeliveryAt" text,
        "location" jsonb
    )
),

renamed as (
    select
        shop_domain,
        id as fulfillment_gid,
        {{ gid_to_bigint('"id"') }} as fulfillment_id,
        order_gid,
        {{ gid_to_bigint('order_gid') }} as order_id,
        upper(status) as fulfillment_status,
        "displayStatus" as display_status,
        {{ cast_or_null('"createdAt"', 'timestamptz') }} as created_at,
        {{ cast_or_null('"updatedAt"', 'timestamptz') }} as updated_at,
        {{ cast_or_null('"deliveredAt"', 'timestamptz') }} as delivered_at,
        {{ cast_or_null('"inTransitAt"', 'timestamptz') }} as in_transit_at,
        {{ cast_or_null('"estimatedDeliveryAt"', 'timestamptz') }} as estimated_delivery_at,
        location ->> 'id' as location_gid,
        {{ gid_to_bigint("\"location\" ->> 'id'") }} as location_id,
        extracted_at,
        staged_at
    from unnested
)

select * from renamed
