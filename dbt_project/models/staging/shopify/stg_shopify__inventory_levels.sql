with

source as (
    select * from {{ source('raw_shopify', 'inventory_levels') }}
),

renamed as (
    select
        shop_domain,
        id as inventory_level_gid,
        payload -> 'item' ->> 'id' as inventory_item_gid,
        {{ gid_to_bigint("payload -> 'item' ->> 'id'") }} as inventory_item_id,
        nullif(payload -> 'item' ->> 'sku', '') as sku,
        payload -> 'location' ->> 'id' as location_gid,
        {{ gid_to_bigint("payload -> 'location' ->> 'id'") }} as location_id,
        {%- for name in ['available', 'committed', 'incoming', 'on_hand', 'reserved'] %}
            coalesce(
                {{ cast_or_null(inventory_quantity_text(name), 'integer') }},
                0
            ) as quantity_{{ name }},
        {%- endfor %}
        updated_at,
        extracted_at
    from source
)

select * from renamed
