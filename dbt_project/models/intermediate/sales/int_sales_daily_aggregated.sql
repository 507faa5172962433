with

orders as (
    select * from {{ ref('int_orders_localized') }}
),

refunds as (
    select * from {{ ref('int_refunds_localized') }}
),

shops as (
    select * from {{ ref('stg_shopify__shops') }}
),

order_days as (
    select
        shop_domain,
        local_date,
        count(*) as total_orders,
        sum(total_price) as total_revenue,
        count(*) filter (where first_fulfilled_at is not null) as orders_fulfilled
    from orders
    where is_counted
    group by shop_domain, local_date
),

refund_days as (
    select
        shop_domain,
        local_date,
        sum(refunded_amount) as refunded_amount
    from refunds
    group by shop_domain, local_date
),

bounds as (
    select
        shop_domain,
        min(local_date) as first_date,
        max(local_date) as last_date
    from order_days
    group by shop_domain
),

spine as (
    select
        bounds.shop_domain,
        day::date as local_date
    from bounds
    left join shops
        on bounds.shop_domain = shops.shop_domain
    cross join lateral generate_series(
        bounds.first_date,
        greatest(
            {{ local_date(hotrod_as_of(), "coalesce(shops.iana_timezone, 'UTC')") }},
            bounds.last_date
        ),
        interval '1 day'
    ) as day
),

daily as (
    select
        spine.shop_domain,
        spine.local_date,
        coalesce(order_days.total_orders, 0)::integer as total_orders,
        coalesce(order_days.total_revenue, 0)::numeric(14, 2) as total_revenue,
        coalesce(order_days.orders_fulfilled, 0)::integer as orders_fulfilled,
        coalesce(refund_days.refunded_amount, 0)::numeric(14, 2) as refunded_amount
    from spine
    left join order_days
        on
            spine.shop_domain = order_days.shop_domain
            and spine.local_date = order_days.local_date
    left join refund_days
        on
            spine.shop_domain = refund_days.shop_domain
            and spine.local_date = refund_days.local_date
),

final as (
    select
        daily.*,
        last_week.total_orders as orders_last_week,
        last_week.total_revenue as revenue_last_week
    from daily
    left join daily as last_week
        on
            daily.shop_domain = last_week.shop_domain
            and daily.local_date - 7 = last_week.local_date
)

select * from final
