with

shops as (
    select * from {{ ref('shop_timezones') }}
),

customers as (
    select * from {{ ref('customer_segments') }}
),

dated as (
    select
        customers.shop_domain,
        coalesce(customers.primary_segment, 'Unsegmented') as primary_segment,
        customers.total_revenue,
        date_trunc(
            'week', {{ views_local_today('shops.iana_timezone') }} - customers.days_since_first_order
        )::date as first_order_week,
        date_trunc(
            'week', {{ views_local_today('shops.iana_timezone') }} - customers.days_since_last_order
        )::date as last_order_week,
        date_trunc('week', {{ views_local_today('shops.iana_timezone') }})::date as current_week
    from customers
    inner join shops
        on customers.shop_domain = shops.shop_domain
),

weeks as (
    select distinct
        dated.shop_domain,
        dated.primary_segment,
        week::date as week_start
    from dated
    cross join lateral generate_series(
        dated.current_week - 77, dated.current_week, interval '7 days'
    ) as week
),

final as (
    select
        weeks.shop_domain,
        weeks.primary_segment,
        weeks.week_start,
        count(dated.first_order_week) filter (
            where dated.first_order_week = weeks.week_start
        ) as new_customers,
        count(dated.last_order_week) filter (
            where dated.last_order_week = weeks.week_start
        ) as customers_last_active,
        count(dated.first_order_week) filter (
            where dated.first_order_week <= weeks.week_start
        ) as cumulative_customers
    from weeks
    left join dated
        on
            weeks.shop_domain = dated.shop_domain
            and weeks.primary_segment = dated.primary_segment
    group by 1, 2, 3
)

select * from final
