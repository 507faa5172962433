with

source as (
    select * from {{ source('raw_shopify', 'orders') }}
),

unnested as (
    select
        source.shop_domain,
        source.id as order_gid,
        source.extracted_at,
        fulfillment.value as fulfillment
    from source
    cross join lateral jsonb_array_elements(
        case
            when jsonb_typeof(source.payload -> 'fulfillments') = 'array'
                then source.payload -> 'fulfillments'
            else '[]'::jsonb
        end
    ) as fulfillment
),

renamed as (
    select
        shop_domain,
        fulfillment ->> 'id' as fulfillment_gid,
        {{ gid_to_bigint("fulfillment ->> 'id'") }} as fulfillment_id,
        order_gid,
        {{ gid_to_bigint('order_gid') }} as order_id,
        upper(fulfillment ->> 'status') as fulfillment_status,
        fulfillment ->> 'displayStatus' as display_status,
        (fulfillment ->> 'createdAt')::timestamptz as created_at,
        (fulfillment ->> 'updatedAt')::timestamptz as updated_at,
        (fulfillment ->> 'deliveredAt')::timestamptz as delivered_at,
        (fulfillment ->> 'inTransitAt')::timestamptz as in_transit_at,
        (fulfillment ->> 'estimatedDeliveryAt')::timestamptz as estimated_delivery_at,
        fulfillment -> 'location' ->> 'id' as location_gid,
        {{ gid_to_bigint("fulfillment -> 'location' ->> 'id'") }} as location_id,
        extracted_at
    from unnested
)

select * from renamed
