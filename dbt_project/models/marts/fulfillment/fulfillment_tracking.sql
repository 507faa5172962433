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
        {{ typed_columns('orders', {
            'id': deterministic_uuid(['orders.shop_domain', "'order'", 'orders.order_id']),
            'shopify_order_id': 'orders.order_id',
            'order_number': 'orders.order_name',
            'customer_segment': 'segments.primary_segment',
            'is_priority_customer': 'coalesce(segments.is_priority_customer, false)',
            'order_created_at': 'orders.created_at',
            'fulfilled_at': 'orders.first_fulfilled_at',
        }) }}
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
