with

precomputed as (
    select * from {{ ref('pre_customer_segment_summary') }}
),

final as (
    select
        shop_domain,
        primary_segment,
        customers,
        total_orders,
        total_revenue,
        avg_lifetime_revenue,
        avg_order_value,
        avg_segment_confidence,
        avg_days_since_last_order,
        new_customers,
        active_customers,
        at_risk_customers,
        churned_customers,
        reactivated_customers,
        prefers_performance_customers,
        prefers_restoration_customers,
        customer_share_pct,
        revenue_share_pct
    from precomputed
)

select * from final
