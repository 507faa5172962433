with

refunds as (
    select * from {{ ref('stg_shopify__refunds') }}
),

orders as (
    select * from {{ ref('int_orders_localized') }}
),

localized as (
    select
        refunds.shop_domain,
        refunds.refund_id,
        refunds.order_id,
        refunds.created_at,
        {{ local_date('refunds.created_at', 'orders.iana_timezone') }} as local_date,
        refunds.refunded_amount
    from refunds
    inner join orders
        on
            refunds.shop_domain = orders.shop_domain
            and refunds.order_id = orders.order_id
    where orders.is_counted
)

select * from localized
