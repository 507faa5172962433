{{
    config(
        materialized='table',
        post_hook=[
            "{{ hotrod_index('order_idx', '(shop_domain, order_id)') }}",
        ],
    )
}}

with

source as (
    select * from {{ source('raw_shopify', 'orders') }}
),

unnested as (
    select
        source.shop_domain,
        source.id as order_gid,
        source.extracted_at,
        line.value as line
    from source
    cross join lateral jsonb_array_elements(
        case
            when jsonb_typeof(source.payload -> 'lineItems') = 'array'
                then source.payload -> 'lineItems'
            else '[]'::jsonb
        end
    ) as line
),

renamed as (
    select
        shop_domain,
        line ->> 'id' as order_line_gid,
        {{ gid_to_bigint("line ->> 'id'") }} as order_line_id,
        order_gid,
        {{ gid_to_bigint('order_gid') }} as order_id,
        nullif(line ->> 'sku', '') as sku,
        line ->> 'title' as line_title,
        coalesce((line ->> 'quantity')::integer, 0) as quantity,
        (line ->> 'currentQuantity')::integer as current_quantity,
        line ->> 'vendor' as vendor,
        line -> 'variant' ->> 'id' as variant_gid,
        {{ gid_to_bigint("line -> 'variant' ->> 'id'") }} as variant_id,
        line -> 'product' ->> 'id' as product_gid,
        {{ gid_to_bigint("line -> 'product' ->> 'id'") }} as product_id,
        {{ shop_money("line -> 'originalUnitPriceSet'") }} as original_unit_price,
        coalesce({{ shop_money("line -> 'discountedTotalSet'") }}, 0) as discounted_total,
        extracted_at
    from unnested
)

select * from renamed
