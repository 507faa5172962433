{{
    config(
        post_hook=[
            "{{ hotrod_index('sku_day_idx', '(shop_domain, sku, local_date)') }}",
        ],
    )
}}

with

lines as (
    select * from {{ ref('stg_shopify__order_lines') }}
),

orders as (
    select * from {{ ref('int_orders_localized') }}
),

products as (
    select * from {{ ref('int_products_classified') }}
),

enriched as (
    select
        lines.shop_domain,
        lines.order_line_id,
        lines.order_id,
        lines.product_id,
        lines.variant_id,
        lines.sku,
        lines.quantity,
        lines.discounted_total,
        orders.customer_id,
        orders.created_at as order_created_at,
        orders.local_date,
        orders.is_counted,
        products.category_l1,
        products.category_l2,
        coalesce(products.is_performance_part, false) as is_performance_part,
        coalesce(products.is_restoration_part, false) as is_restoration_part,
        coalesce(products.is_custom_fabrication, false) as is_custom_fabrication,
        products.primary_year,
        products.primary_make,
        products.primary_model
    from lines
    inner join orders
        on
            lines.shop_domain = orders.shop_domain
            and lines.order_id = orders.order_id
    left join products
        on
            lines.shop_domain = products.shop_domain
            and lines.product_id = products.product_id
)

select * from enriched
