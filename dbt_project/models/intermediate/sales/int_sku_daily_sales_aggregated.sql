{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'sku', 'local_date'],
        on_schema_change='fail',
        pre_hook=["{{ delete_changed_keys(changed_sales_days(), ['shop_domain', 'local_date']) }}"],
        indexes=[
            {'columns': ['shop_domain', 'sku', 'local_date']},
            {'columns': ['shop_domain', 'local_date']},
        ],
    )
}}

{#-
    Incremental by shop day (issue 17: aggregating every order line of a million orders was the
    longest step of the daily run's order path): a run aggregates again (delete+insert) the shop
    days of changed_sales_days() — the days of the orders localized since the model's watermark
    (placed, edited, refunded, counted or not since), of the raw orders deleted in Shopify, and
    every day of a shop whose record landed since (its time zone) — from all their lines.
-#}

-- read by changed_sales_days() in incremental runs (rendered only then):
-- depends_on: {{ ref('int_orders_localized') }}
-- depends_on: {{ ref('stg_shopify__shops') }}

with

{% if is_incremental() %}
    changed as (
        {{ changed_sales_days() }}
    ),
{% endif %}

lines as (
    select * from {{ ref('int_order_lines_enriched') }}
    {% if is_incremental() %}
        where (shop_domain, local_date) in (select changed.shop_domain, changed.local_date from changed)
    {% endif %}
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
