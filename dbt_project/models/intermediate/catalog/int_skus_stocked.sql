{#-
    One row per shop and catalog SKU (its first variant when several share the SKU) with the
    stock of its inventory item summed over every location.
-#}

with

variants as (
    select * from {{ ref('stg_shopify__variants') }}
),

levels as (
    select * from {{ ref('stg_shopify__inventory_levels') }}
),

catalog_skus as (
    select distinct on (shop_domain, sku)
        shop_domain,
        sku,
        product_id,
        variant_id,
        inventory_item_id
    from variants
    where sku is not null
    order by shop_domain, sku, variant_id
),

stock as (
    select
        shop_domain,
        inventory_item_id,
        sum(quantity_available) as quantity_available,
        sum(quantity_committed + quantity_reserved) as quantity_reserved,
        sum(quantity_incoming) as quantity_incoming
    from levels
    group by shop_domain, inventory_item_id
),

final as (
    select
        catalog_skus.shop_domain,
        catalog_skus.sku,
        catalog_skus.product_id,
        catalog_skus.variant_id,
        catalog_skus.inventory_item_id,
        coalesce(stock.quantity_available, 0) as quantity_available,
        coalesce(stock.quantity_reserved, 0) as quantity_reserved,
        coalesce(stock.quantity_incoming, 0) as quantity_incoming
    from catalog_skus
    left join stock
        on
            catalog_skus.shop_domain = stock.shop_domain
            and catalog_skus.inventory_item_id = stock.inventory_item_id
)

select * from final
