with

precomputed as (
    select * from {{ ref('pre_churn_prediction') }}
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
        expected_order_interval_days,
        churn_score,
        churn_risk,
        revenue_at_risk
    from precomputed
)

select * from final
