{#-
    One row per non-test order (incremental config, key and pre-hook: _fulfillment__models.yml);
    the SLA rules live in int_orders_sla_evaluated. Orders in
    fulfillment_quarantine (they would fail a guarding test) stay out of the tile.
    Incremental by order (issue 17): a run rebuilds (delete+insert) the orders of
    changed_tracked_orders(): evaluated since the model's watermark, re-evaluated as time
    passes (open or quarantined), deleted in Shopify, and every order of a customer whose segment
    or priority changed (int_customer_personas).
-#}

-- read by the changed-key macros of incremental runs (rendered only then):
-- depends_on: {{ ref('stg_shopify__orders') }}
-- depends_on: {{ source('raw_shopify', 'orders') }}
-- depends_on: {{ source('raw_shopify', 'customers') }}

with

orders as (
    select * from {{ ref('int_orders_sla_evaluated') }}
    {{ where_key_changed(changed_tracked_orders(), ['shop_domain', 'order_id']) }}
),

quarantined as (
    select * from {{ ref('fulfillment_quarantine') }}
),

segments as (
    select * from {{ ref('int_customer_personas') }}
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
