{{
    config(
        indexes=[{'columns': ['shop_domain', 'sku', 'local_date']}],
    )
}}

with

lines as (
    select * from {{ ref('int_order_lines_enriched') }}
),

daily as (
    select
        shop_domain,
        sku,
        local_date,
        max(product_id) as product_id,
        max(variant_id) as variant_id,
        sum(quantity)::integer as units_sold,
        sum(discounted_total)::numeric(14, 2) as revenue,
        count(distinct order_id)::integer as orders,
        max(order_created_at) as last_sale_at
    from lines
    where is_counted and sku is not null
    group by shop_domain, sku, local_date
)

select * from daily
