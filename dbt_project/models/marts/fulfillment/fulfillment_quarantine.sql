{#-
    The orders kept out of fulfillment_tracking because a guarding test would fail on them
    (issue 17): one row per order and reason. Counted in rpt_data_quality_comprehensive and so
    listed in v_data_quality_alerts; the tile keeps refreshing for every other order.
-#}

with

orders as (
    select * from {{ ref('int_orders_sla_evaluated') }}
),

final as (
    select
        orders.shop_domain::text as shop_domain,
        orders.order_id::bigint as shopify_order_id,
        orders.order_name::text as order_number,
        orders.quarantine_reason::text as reason,
        orders.created_at::timestamptz as order_created_at,
        orders.first_fulfilled_at::timestamptz as fulfilled_at,
        {{ hotrod_as_of() }}::timestamptz as detected_at
    from orders
    where orders.quarantine_reason is not null
)

select * from final
