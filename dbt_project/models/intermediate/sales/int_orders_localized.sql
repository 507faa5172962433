{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'order_id'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook=["{{ delete_vanished_rows(ref('stg_shopify__orders'), {'shop_domain': 'shop_domain', 'order_id': 'order_id', 'staged_at': 'staged_at'}) }}"],
        indexes=[
            {'columns': ['shop_domain', 'local_date']},
            {'columns': ['shop_domain', 'order_id']},
        ],
    )
}}

{#-
    Incremental (issue 9): a daily run re-localizes only the orders staged since the last run
    (newer `staged_at`) and every order of a shop whose time zone changed.
-#}

with

shops as (
    select * from {{ ref('stg_shopify__shops') }}
),

orders as (
    select * from {{ ref('stg_shopify__orders') }}
    {% if is_incremental() %}
        where
            {{ staged_since_last_run() }}
            or shop_domain in (
                select shops.shop_domain from shops
                where coalesce(shops.iana_timezone, 'UTC') is distinct from (
                    select done.iana_timezone from {{ this }} as done
                    where done.shop_domain = shops.shop_domain
                    limit 1
                )
            )
    {% endif %}
),

fulfillments as (
    select * from {{ ref('stg_shopify__fulfillments') }}
    {% if is_incremental() %}
        where (shop_domain, order_id) in (select orders.shop_domain, orders.order_id from orders)
    {% endif %}
),

first_shipments as (
    select
        shop_domain,
        order_id,
        min(created_at) as first_fulfilled_at
    from fulfillments
    where fulfillment_status = 'SUCCESS'
    group by shop_domain, order_id
),

localized as (
    select
        orders.shop_domain,
        orders.order_id,
        orders.order_gid,
        orders.order_name,
        orders.customer_id,
        orders.created_at,
        orders.updated_at,
        orders.cancelled_at,
        orders.is_test,
        orders.fulfillment_status as display_fulfillment_status,
        orders.financial_status,
        orders.total_price,
        orders.tags,
        orders.discount_codes,
        coalesce(shops.iana_timezone, 'UTC') as iana_timezone,
        {{ local_date('orders.created_at', "coalesce(shops.iana_timezone, 'UTC')") }} as local_date,
        (not orders.is_test and orders.cancelled_at is null) as is_counted,
        first_shipments.first_fulfilled_at,
        (
            select min(substr(tag, length('issue:') + 1))
            from unnest(orders.tags) as tag
            where tag like 'issue:%'
        ) as issue_tag,
        (
            select min(substr(tag, length('severity:') + 1))
            from unnest(orders.tags) as tag
            where tag like 'severity:%'
        ) as severity_tag,
        orders.staged_at
    from orders
    left join shops
        on orders.shop_domain = shops.shop_domain
    left join first_shipments
        on
            orders.shop_domain = first_shipments.shop_domain
            and orders.order_id = first_shipments.order_id
)

select * from localized
