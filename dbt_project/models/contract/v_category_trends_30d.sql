with

precomputed as (
    select * from {{ ref('pre_category_trends_30d') }}
),

final as (
    select
        shop_domain,
        sales_date,
        category_l1,
        category_l2,
        skus_sold,
        units_sold,
        revenue,
        revenue_share_of_day_pct,
        revenue_7d_moving_avg
    from precomputed
)

select * from final
