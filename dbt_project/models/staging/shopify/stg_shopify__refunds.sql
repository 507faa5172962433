with

source as (
    select * from {{ source('raw_shopify', 'orders') }}
),

unnested as (
    select
        source.shop_domain,
        source.id as order_gid,
        source.extracted_at,
        refund.value as refund
    from source
    cross join lateral jsonb_array_elements(
        case
            when jsonb_typeof(source.payload -> 'refunds') = 'array'
                then source.payload -> 'refunds'
            else '[]'::jsonb
        end
    ) as refund
),

renamed as (
    select
        shop_domain,
        refund ->> 'id' as refund_gid,
        {{ gid_to_bigint("refund ->> 'id'") }} as refund_id,
        order_gid,
        {{ gid_to_bigint('order_gid') }} as order_id,
        (refund ->> 'createdAt')::timestamptz as created_at,
        refund ->> 'note' as note,
        coalesce({{ shop_money("refund -> 'totalRefundedSet'") }}, 0) as refunded_amount,
        extracted_at
    from unnested
)

select * from renamed
