{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'order_id'],
        meta={'changed_at': 'staged_at'},
        on_schema_change='fail',
        pre_hook=["{{ delete_changed_orders(ref('stg_shopify__orders')) }}"],
        indexes=[
            {'columns': ['shop_domain', 'order_id']},
            {'columns': ['shop_domain', 'refund_id']},
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
        refund.*
    from source
    cross join lateral jsonb_to_recordset(
        case
            when jsonb_typeof(source.payload -> 'refunds') = 'array'
                then source.payload -> 'refunds'
            else '[]'::jsonb
        end
    ) as refund ("id" text, "createdAt" text, "note" text, "totalRefundedSet" jsonb)
),

renamed as (
    select
        shop_domain,
        id as refund_gid,
        {{ gid_to_bigint('"id"') }} as refund_id,
        order_gid,
        {{ gid_to_bigint('order_gid') }} as order_id,
        {{ cast_or_null('"createdAt"', 'timestamptz') }} as created_at,
        note,
        coalesce({{ shop_money('"totalRefundedSet"') }}, 0) as refunded_amount,
        extracted_at,
        staged_at
    from unnested
)

select * from renamed
