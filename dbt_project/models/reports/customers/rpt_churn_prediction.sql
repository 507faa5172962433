with

customers as (
    select * from {{ ref('customer_segments') }}
),

intervals as (
    select
        *,
        -- expected days between orders: the customer's own cadence, else 90 days for one-time buyers
        case
            when total_orders > 1
                then greatest((days_since_first_order - days_since_last_order)::numeric / (total_orders - 1), 14)
            else 90
        end as expected_order_interval_days
    from customers
    where total_orders > 0
),

scored as (
    select
        *,
        -- 0 right after an order, 0.5 at 1.5 expected intervals, 1 at 3 expected intervals or more
        round(
            least(greatest(days_since_last_order / (3 * expected_order_interval_days), 0), 1), 3
        ) as churn_score
    from intervals
),

final as (
    select
        shop_domain,
        shopify_customer_id,
        primary_segment,
        lifecycle_stage,
        total_orders,
        total_revenue,
        days_since_last_order,
        round(expected_order_interval_days, 1) as expected_order_interval_days,
        churn_score,
        case
            when churn_score >= 0.66 then 'high'
            when churn_score >= 0.33 then 'medium'
            else 'low'
        end as churn_risk,
        round(total_revenue * churn_score, 2) as revenue_at_risk
    from scored
)

select * from final
