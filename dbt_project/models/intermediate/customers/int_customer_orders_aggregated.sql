{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'customer_id'],
        meta={'changed_at': 'refreshed_at'},
        on_schema_change='append_new_columns',
        pre_hook=["{{ delete_changed_keys(changed_customers(), ['shop_domain', 'customer_id']) }}"],
        post_hook=["{{ ensure_contract_constraints() }}"],
        indexes=[
            {'columns': ['shop_domain', 'customer_id']},
            {'columns': ['refreshed_at']},
        ],
    )
}}

{#-
    Lifetime order history of each customer (counted orders only) and what they buy.
    Incremental by customer (issue 17): a run re-aggregates (delete+insert) the customers of
    changed_customers() (orders localized since the model's watermark, deleted raw orders,
    customers landed since) from all their orders, read through the orders' customer index;
    `refreshed_at` stamps the run that wrote the row. A product reclassified in the catalog
    reaches the shares and top category of its buyers at their next change or in a full build.
-#}

-- read by the changed-key macros of incremental runs (rendered only then):
-- depends_on: {{ ref('stg_shopify__orders') }}
-- depends_on: {{ source('raw_shopify', 'orders') }}
-- depends_on: {{ source('raw_shopify', 'customers') }}

with

{% if is_incremental() %}
    changed as (
        {{ changed_customers() }}
    ),

    changed_orders as (
        select
            staged.shop_domain,
            staged.order_id
        from {{ ref('stg_shopify__orders') }} as staged
        where (staged.shop_domain, staged.customer_id) in (
            select changed.shop_domain, changed.customer_id from changed
        )
    ),
{% endif %}

customers as (
    select * from {{ ref('stg_shopify__customers') }}
    {% if is_incremental() %}
        where (shop_domain, customer_gid) in (select changed.shop_domain, changed.customer_gid from changed)
    {% endif %}
),

orders as (
    select * from {{ ref('int_orders_localized') }}
    {% if is_incremental() %}
        where (shop_domain, order_id) in (select changed_orders.shop_domain, changed_orders.order_id from changed_orders)
    {% endif %}
),

lines as (
    select * from {{ ref('int_order_lines_enriched') }}
    {% if is_incremental() %}
        where (shop_domain, order_id) in (select changed_orders.shop_domain, changed_orders.order_id from changed_orders)
    {% endif %}
),

counted_orders as (
    select
        shop_domain,
        customer_id,
        created_at,
        total_price,
        discount_codes,
        lag(created_at) over (
            partition by shop_domain, customer_id order by created_at
        ) as previous_order_at,
        row_number() over (
            partition by shop_domain, customer_id order by created_at desc
        ) as recency_rank
    from orders
    where is_counted and customer_id is not null
),

order_history as (
    select
        shop_domain,
        customer_id,
        count(*)::integer as total_orders,
        sum(total_price)::numeric(14, 2) as total_revenue,
        min(created_at) as first_order_at,
        max(created_at) as last_order_at,
        max(extract(epoch from created_at - previous_order_at) / 86400.0) filter (
            where recency_rank = 1
        ) as last_gap_days,
        array(
            select distinct upper(code.value)
            from unnest(array_agg(array_to_string(discount_codes, ','))) as joined (value)
            cross join lateral unnest(string_to_array(joined.value, ',')) as code (value)
            where code.value <> ''
            order by upper(code.value)
        ) as discount_codes_used
    from counted_orders
    group by shop_domain, customer_id
),

line_mix as (
    select
        shop_domain,
        customer_id,
        sum(quantity) as units,
        sum(quantity) filter (where is_performance_part) as performance_units,
        sum(quantity) filter (where is_restoration_part) as restoration_units,
        sum(quantity) filter (where is_custom_fabrication) as fabrication_units
    from lines
    where is_counted and customer_id is not null
    group by shop_domain, customer_id
),

category_rank as (
    select
        shop_domain,
        customer_id,
        category_l1,
        category_l2,
        row_number() over (
            partition by shop_domain, customer_id
            order by sum(discounted_total) desc, category_l1 asc, category_l2 asc
        ) as category_rank
    from lines
    where is_counted and customer_id is not null and category_l1 is not null
    group by shop_domain, customer_id, category_l1, category_l2
),

vehicle_rank as (
    select
        shop_domain,
        customer_id,
        primary_year,
        primary_make,
        primary_model,
        row_number() over (
            partition by shop_domain, customer_id
            order by count(*) desc, primary_make asc, primary_model asc, primary_year asc
        ) as vehicle_rank
    from lines
    where is_counted and customer_id is not null and primary_make is not null
    group by shop_domain, customer_id, primary_year, primary_make, primary_model
),

final as (
    select
        customers.shop_domain,
        customers.customer_id,
        customers.tags,
        customers.created_at as customer_created_at,
        coalesce(order_history.total_orders, 0) as total_orders,
        coalesce(order_history.total_revenue, 0)::numeric(14, 2) as total_revenue,
        round(order_history.total_revenue / nullif(order_history.total_orders, 0), 2) as avg_order_value,
        order_history.first_order_at,
        order_history.last_order_at,
        order_history.last_gap_days,
        coalesce(order_history.discount_codes_used, array[]::text[]) as discount_codes_used,
        coalesce(line_mix.performance_units::numeric / nullif(line_mix.units, 0), 0) as performance_share,
        coalesce(line_mix.restoration_units::numeric / nullif(line_mix.units, 0), 0) as restoration_share,
        coalesce(line_mix.fabrication_units::numeric / nullif(line_mix.units, 0), 0) as fabrication_share,
        category_rank.category_l1 as top_category_l1,
        category_rank.category_l2 as top_category_l2,
        vehicle_rank.primary_year as primary_vehicle_year,
        vehicle_rank.primary_make as primary_vehicle_make,
        vehicle_rank.primary_model as primary_vehicle_model,
        '{{ run_started_at }}'::timestamptz as refreshed_at
    from customers
    left join order_history
        on
            customers.shop_domain = order_history.shop_domain
            and customers.customer_id = order_history.customer_id
    left join line_mix
        on
            customers.shop_domain = line_mix.shop_domain
            and customers.customer_id = line_mix.customer_id
    left join category_rank
        on
            customers.shop_domain = category_rank.shop_domain
            and customers.customer_id = category_rank.customer_id
            and category_rank.category_rank = 1
    left join vehicle_rank
        on
            customers.shop_domain = vehicle_rank.shop_domain
            and customers.customer_id = vehicle_rank.customer_id
            and vehicle_rank.vehicle_rank = 1
)

select * from final
