with

shops as (
    select * from {{ ref('shops') }}
),

customers as (
    select * from {{ ref('customer_segments') }}
),

dated as (
    select
        customers.shop_domain,
        coalesce(customers.primary_segment, 'Unsegmented') as primary_segment,
        date_trunc('week', shops.as_of_date - customers.days_since_first_order)::date
            as first_order_week,
        date_trunc('week', shops.as_of_date - customers.days_since_last_order)::date
            as last_order_week,
        date_trunc('week', shops.as_of_date)::date as current_week
    from customers
    {{ join_each('customers', ['shops'], ['shop_domain'], 'inner') }}
),

segment_weeks as (
    select distinct
        shop_domain,
        primary_segment,
        current_week
    from dated
),

weeks as (
    select
        segment_weeks.shop_domain,
        segment_weeks.primary_segment,
        week::date as week_start
    from segment_weeks
    cross join lateral generate_series(
        segment_weeks.current_week - 77, segment_weeks.current_week, interval '7 days'
    ) as week
),

first_orders as (
    select
        shop_domain,
        primary_segment,
        first_order_week as week_start,
        count(*) as new_customers
    from dated
    group by shop_domain, primary_segment, first_order_week
),

last_orders as (
    select
        shop_domain,
        primary_segment,
        last_order_week as week_start,
        count(*) as customers_last_active
    from dated
    group by shop_domain, primary_segment, last_order_week
),

earlier_customers as (
    select
        shop_domain,
        primary_segment,
        count(*) filter (where first_order_week < current_week - 77) as customers_before_window
    from dated
    group by shop_domain, primary_segment
),

final as (
    select
        weeks.shop_domain,
        weeks.primary_segment,
        weeks.week_start,
        coalesce(first_orders.new_customers, 0) as new_customers,
        coalesce(last_orders.customers_last_active, 0) as customers_last_active,
        earlier_customers.customers_before_window
        + sum(coalesce(first_orders.new_customers, 0)) over (
            partition by weeks.shop_domain, weeks.primary_segment
            order by weeks.week_start
        ) as cumulative_customers
    from weeks
    {{ join_each('weeks', ['first_orders', 'last_orders'], ['shop_domain', 'primary_segment', 'week_start']) }}
    {{ join_each('weeks', ['earlier_customers'], ['shop_domain', 'primary_segment'], 'inner') }}
)

select * from final
