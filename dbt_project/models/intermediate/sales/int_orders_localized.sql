{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'order_id'],
        meta={'changed_at': 'localized_at'},
        on_schema_change='fail',
        pre_hook=["{{ delete_changed_orders() }}"],
        post_hook=["{{ delete_vanished_orders(ref('stg_shopify__orders')) }}"],
        indexes=[
            {'columns': ['shop_domain', 'local_date']},
            {'columns': ['shop_domain', 'order_id']},
            {'columns': ['staged_at']},
            {'columns': ['localized_at']},
            {
                'columns': ['shop_domain', 'order_id'],
                'where': 'not is_counted and not is_test and cancelled_at is null',
            },
        ],
    )
}}

{#-
    Incremental (issue 9): a daily run re-localizes only the orders staged since the last run
    (newer `staged_at`), every order of a shop whose time zone changed, and the orders whose
    data issues (int_orders_data_issues) may have changed without a restage. `localized_at`
    stamps the run that wrote the row: the models downstream (int_order_lines_enriched,
    int_orders_sla_evaluated) take the orders localized after their own newest one.
-#}

with

shops as (
    select * from {{ ref('stg_shopify__shops') }}
),

data_issues as (
    -- an order with a data issue is not counted: out of every money figure (issue 20)
    select * from {{ ref('int_orders_data_issues') }}
),

{% if is_incremental() %}
    changed_orders as (
        -- one branch per reason, each read through an index (an `or` would scan every order)
        select
            staged.shop_domain,
            staged.order_id
        from {{ ref('stg_shopify__orders') }} as staged
        where {{ staged_since_last_run('staged.staged_at') }}
        union
        select
            staged.shop_domain,
            staged.order_id
        from {{ ref('stg_shopify__orders') }} as staged
        inner join shops
            on staged.shop_domain = shops.shop_domain
        where coalesce(shops.iana_timezone, 'UTC') is distinct from (
            select done.iana_timezone from {{ this }} as done
            where done.shop_domain = shops.shop_domain
            limit 1
        )
        -- an order whose data issues came or went without a restage (time passed a
        -- future-dated order, the shop currency changed): every flagged order, and every
        -- stored one left uncounted only by an issue, is re-localized (a small set)
        union
        select
            di.shop_domain,
            di.order_id
        from data_issues as di
        union
        select
            done.shop_domain,
            done.order_id
        from {{ this }} as done
        where not done.is_counted and not done.is_test and done.cancelled_at is null
    ),
{% endif %}

orders as (
    select * from {{ ref('stg_shopify__orders') }}
    {% if is_incremental() %}
        where (shop_domain, order_id) in (
            select changed_orders.shop_domain, changed_orders.order_id from changed_orders
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
        (
            not orders.is_test
            and orders.cancelled_at is null
            and not exists (
                select 1 from data_issues
                where
                    data_issues.shop_domain = orders.shop_domain
                    and data_issues.order_id = orders.order_id
            )
        ) as is_counted,
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
        orders.staged_at,
        '{{ run_started_at }}'::timestamptz as localized_at
    from orders
    left join shops
        on orders.shop_domain = shops.shop_domain
    left join first_shipments
        on
            orders.shop_domain = first_shipments.shop_domain
            and orders.order_id = first_shipments.order_id
)

select * from localized
