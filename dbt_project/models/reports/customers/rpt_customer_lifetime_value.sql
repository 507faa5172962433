with

customers as (
    select * from {{ ref('customer_support_history') }}
),

per_customer as (
    select
        shop_domain,
        coalesce(primary_segment, 'Unsegmented') as primary_segment,
        total_orders,
        lifetime_revenue as total_revenue,
        days_since_first_order,
        conversations,
        escalations,
        -- annual value: lifetime revenue spread over the customer's age (at least 90 days)
        lifetime_revenue / greatest(coalesce(days_since_first_order, 0), 90) * 365 as annual_value
    from customers
    where total_orders > 0
),

final as (
    select
        shop_domain,
        primary_segment,
        count(*) as customers,
        round(avg(total_revenue), 2) as avg_lifetime_revenue,
        round(avg(total_orders), 2) as avg_orders,
        round(sum(total_revenue) / nullif(sum(total_orders), 0), 2) as avg_order_value,
        round(avg(days_since_first_order), 1) as avg_customer_age_days,
        round(avg(annual_value), 2) as avg_annual_value,
        round(avg(annual_value) * 3, 2) as projected_3y_clv,
        round(percentile_cont(0.5) within group (order by total_revenue)::numeric, 2) as median_lifetime_revenue,
        sum(total_revenue) as segment_lifetime_revenue,
        sum(conversations) as support_conversations,
        round(avg(conversations), 2) as conversations_per_customer,
        count(*) filter (where escalations > 0) as customers_escalated
    from per_customer
    group by shop_domain, primary_segment
)

select * from final
