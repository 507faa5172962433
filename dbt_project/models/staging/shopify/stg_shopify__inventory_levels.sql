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
            coalesce((
                select (q.value ->> 'quantity')::integer
                from jsonb_array_elements(
                    case
                        when jsonb_typeof(payload -> 'quantities') = 'array'
                            then payload -> 'quantities'
                        else '[]'::jsonb
                    end
                ) as q
                where q.value ->> 'name' = '{{ name }}'
                limit 1
            ), 0) as quantity_{{ name }},
        {%- endfor %}
        updated_at,
        extracted_at
    from source
)

select * from renamed
