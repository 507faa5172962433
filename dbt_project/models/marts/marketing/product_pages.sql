{#- One row per shop and active product: its storefront page (/products/{handle}) and stock on hand. -#}

with

products as (
    select * from {{ ref('stg_shopify__products') }}
),

skus as (
    select * from {{ ref('int_skus_stocked') }}
),

stock as (
    select
        shop_domain,
        product_id,
        sum(quantity_available) as quantity_available
    from skus
    group by shop_domain, product_id
),

final as (
    select
        products.shop_domain,
        products.product_id as shopify_product_id,
        products.handle,
        products.product_title,
        '/products/' || products.handle as landing_page,
        coalesce(stock.quantity_available, 0)::integer as quantity_available
    from products
    {{ join_each('products', ['stock'], ['shop_domain', 'product_id']) }}
    where products.product_status = 'active' and products.handle is not null
)

select * from final
