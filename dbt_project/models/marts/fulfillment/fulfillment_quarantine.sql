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
        {{ typed_columns('orders', {
            'shopify_order_id': 'orders.order_id',
            'order_number': 'orders.order_name',
            'reason': 'orders.quarantine_reason',
            'order_created_at': 'orders.created_at',
            'fulfilled_at': 'orders.first_fulfilled_at',
            'detected_at': hotrod_as_of(),
        }) }}
    from orders
    where orders.quarantine_reason is not null
)

select * from final
