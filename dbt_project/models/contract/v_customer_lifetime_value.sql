with

precomputed as (
    select * from {{ ref('pre_customer_lifetime_value') }}
),

final as (
    select
        shop_domain,
        primary_segment,
        customers,
        avg_lifetime_revenue,
        avg_orders,
        avg_order_value,
        avg_customer_age_days,
        avg_annual_value,
        projected_3y_clv,
        median_lifetime_revenue,
        segment_lifetime_revenue
    from precomputed
)

select * from final
