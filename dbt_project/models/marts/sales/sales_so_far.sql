{#-
    Today so far against the same time last week (doc block `sales_so_far`): for each shop, its
    as-of local day (days_ago 0) and the same weekday one week earlier (days_ago 7), the counted
    orders created up to the same local time of day, and over the whole day.
-#}

with

shops as (
    select * from {{ ref('shops') }}
),

orders as (
    select * from {{ ref('int_orders_localized') }}
),

compared_days as (
    select
        shops.shop_domain,
        shops.as_of_date - offsets.days_ago as date,
        offsets.days_ago,
        ((shops.as_of_at at time zone shops.iana_timezone) - offsets.days_ago * interval '1 day')
        at time zone shops.iana_timezone as cutoff_at
    from shops
    cross join (values (0), (7)) as offsets (days_ago)
),

final as (
    select
        compared_days.shop_domain,
        compared_days.date,
        compared_days.days_ago,
        compared_days.cutoff_at,
        count(orders.order_id) filter (where orders.created_at <= compared_days.cutoff_at) as orders_so_far,
        coalesce(sum(orders.total_price) filter (where orders.created_at <= compared_days.cutoff_at), 0)
            as revenue_so_far,
        count(orders.order_id) as orders_full_day,
        coalesce(sum(orders.total_price), 0) as revenue_full_day
    from compared_days
    left join orders
        on
            compared_days.shop_domain = orders.shop_domain
            and compared_days.date = orders.local_date
            and orders.is_counted
    group by compared_days.shop_domain, compared_days.date, compared_days.days_ago, compared_days.cutoff_at
)

select * from final
