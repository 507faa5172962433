with

source as (
    select * from {{ source('raw_shopify', 'products') }}
    where deleted_at is null  -- deleted in Shopify: kept in raw, excluded here
),

unnested as (
    select
        source.shop_domain,
        source.id as product_gid,
        source.extracted_at,
        variant.value as variant
    from source
    cross join lateral jsonb_array_elements(
        case
            when jsonb_typeof(source.payload -> 'variants') = 'array'
                then source.payload -> 'variants'
            else '[]'::jsonb
        end
    ) as variant
),

renamed as (
    select
        shop_domain,
        variant ->> 'id' as variant_gid,
        {{ gid_to_bigint("variant ->> 'id'") }} as variant_id,
        product_gid,
        {{ gid_to_bigint('product_gid') }} as product_id,
        nullif(variant ->> 'sku', '') as sku,
        variant ->> 'title' as variant_title,
        {{ cast_or_null("variant ->> 'price'", money_type()) }} as price,
        {{ cast_or_null("variant ->> 'compareAtPrice'", money_type()) }} as compare_at_price,
        variant -> 'inventoryItem' ->> 'id' as inventory_item_gid,
        {{ gid_to_bigint("variant -> 'inventoryItem' ->> 'id'") }} as inventory_item_id,
        coalesce({{ cast_or_null("variant -> 'inventoryItem' ->> 'tracked'", 'boolean') }}, true) as is_tracked,
        {{ cast_or_null("variant -> 'inventoryItem' -> 'unitCost' ->> 'amount'", money_type()) }} as unit_cost,
        {{ cast_or_null("variant ->> 'createdAt'", 'timestamptz') }} as created_at,
        {{ cast_or_null("variant ->> 'updatedAt'", 'timestamptz') }} as updated_at,
        extracted_at
    from unnested
)

select * from renamed
