{#-
    One row per non-test order; the SLA rules live in int_orders_sla_evaluated. Orders in
    fulfillment_quarantine (they would fail a guarding test) stay out of the tile.
-#}

with

orders as (
    select * from {{ ref('int_orders_sla_evaluated') }}
),

quarantined as (
    select * from {{ ref('fulfillment_quarantine') }}
),

segments as (
    select * from {{ ref('int_customers_segmented') }}
),

final as (
    select
        {{ deterministic_uuid(['orders.shop_domain', "'order'", 'orders.order_id']) }} as id,
        orders.shop_domain::text as shop_domain,
        orders.order_id::bigint as shopify_order_id,
        orders.order_name::text as order_number,
        orders.fulfillment_status::text as fulfillment_status,
        orders.days_to_fulfill::integer as days_to_fulfill,
        orders.is_sla_breach::boolean as is_sla_breach,
        orders.sla_threshold_days::integer as sla_threshold_days,
        segments.primary_segment::text as customer_segment,
        coalesce(segments.is_priority_customer, false)::boolean as is_priority_customer,
        orders.has_issue::boolean as has_issue,
        orders.issue_type::text as issue_type,
        orders.issue_severity::text as issue_severity,
        orders.created_at::timestamptz as order_created_at,
        orders.first_fulfilled_at::timestamptz as fulfilled_at,
        orders.sla_deadline::timestamptz as sla_deadline,
        orders.created_at::timestamptz as created_at,
        orders.updated_at::timestamptz as updated_at
    from orders
    left join segments
        on
            orders.shop_domain = segments.shop_domain
            and orders.customer_id = segments.customer_id
    where not exists (
        select 1
        from quarantined
        where
            quarantined.shop_domain = orders.shop_domain
            and quarantined.shopify_order_id = orders.order_id
    )
)

select * from final
