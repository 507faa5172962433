with

precomputed as (
    select * from {{ ref('pre_customer_segment_trends') }}
),

final as (
    select
        shop_domain,
        primary_segment,
        week_start,
        new_customers,
        customers_last_active,
        cumulative_customers
    from precomputed
)

select * from final
