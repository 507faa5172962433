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
        customers.total_orders,
        customers.total_revenue,
        customers.days_since_last_order,
        date_trunc(
            'month', shops.as_of_date - customers.days_since_first_order
        )::date as cohort_month
    from customers
    {{ join_each('customers', ['shops'], ['shop_domain'], 'inner') }}
    where customers.days_since_first_order is not null
),

final as (
    select
        shop_domain,
        cohort_month,
        count(*) as cohort_customers,
        count(*) filter (where total_orders > 1) as repeat_customers,
        {{ views_pct('count(*) filter (where total_orders > 1)', 'count(*)') }} as repeat_rate_pct,
        count(*) filter (where days_since_last_order <= 90) as active_last_90d,
        {{ views_pct('count(*) filter (where days_since_last_order <= 90)', 'count(*)') }} as retention_90d_pct,
        sum(total_revenue) as cohort_revenue,
        round(avg(total_revenue), 2) as revenue_per_customer,
        round(avg(total_orders), 2) as orders_per_customer
    from dated
    group by shop_domain, cohort_month
)

select * from final
