with

precomputed as (
    select * from {{ ref('pre_customer_cohorts') }}
),

final as (
    select
        shop_domain,
        cohort_month,
        cohort_customers,
        repeat_customers,
        repeat_rate_pct,
        active_last_90d,
        retention_90d_pct,
        cohort_revenue,
        revenue_per_customer,
        orders_per_customer
    from precomputed
)

select * from final
