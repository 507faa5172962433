{#-
    One row per shipment (SUCCESS fulfillment) of a non-test order; doc block `carrier_rules`.
    Incremental by order (issue 17: rebuilt whole, 12-15 s of every real-time run at 1M orders):
    a run rebuilds the shipments of the orders of changed_shipment_orders() -- fulfillments
    restaged or orders localized since the model's watermark, orders deleted in Shopify, and
    every order with an undelivered shipment that has a promised date (its on-time flag turns
    false once the as-of time passes the promise; the as-of time only moves forward).
    `refreshed_at` stamps the run that wrote the row (rpt_carrier_performance rebuilds the weeks
    of the rows written since its own watermark).
-#}

with

fulfillments as (
    select * from {{ ref('stg_shopify__fulfillments') }}
    {{ where_key_changed(changed_shipment_orders(), ['shop_domain', 'order_id']) }}
),

carriers as (
    select * from {{ ref('stg_shopify__fulfillment_carriers') }}
),

orders as (
    select * from {{ ref('int_orders_localized') }}
    where not is_test
),

final as (
    select
        fulfillments.shop_domain,
        fulfillments.fulfillment_id,
        fulfillments.order_id,
        orders.order_name,
        coalesce(carriers.carrier, 'No tracking') as carrier,
        coalesce(carriers.shipping_method, 'Unknown') as shipping_method,
        carriers.tracking_number,
        fulfillments.display_status,
        fulfillments.created_at as shipped_at,
        (fulfillments.created_at at time zone orders.iana_timezone)::date as shipped_local_date,
        date_trunc('week', fulfillments.created_at at time zone orders.iana_timezone)::date as shipped_week_start,
        fulfillments.estimated_delivery_at,
        fulfillments.delivered_at,
        round(extract(epoch from fulfillments.delivered_at - fulfillments.created_at) / 86400.0, 2)
            as days_to_deliver,
        case
            when fulfillments.estimated_delivery_at is null then null
            when fulfillments.delivered_at is not null
                then fulfillments.delivered_at <= fulfillments.estimated_delivery_at
            when {{ hotrod_as_of() }} > fulfillments.estimated_delivery_at then false
        end as is_on_time,
        fulfillments.display_status in ('ATTEMPTED_DELIVERY', 'DELAYED', 'FAILURE', 'NOT_DELIVERED')
            as is_exception,
        '{{ run_started_at }}'::timestamptz as refreshed_at
    from fulfillments
    {{ join_each('fulfillments', ['orders'], ['shop_domain', 'order_id'], 'inner') }}
    {{ join_each('fulfillments', ['carriers'], ['shop_domain', 'fulfillment_id']) }}
    where fulfillments.fulfillment_status = 'SUCCESS'
)

select * from final
