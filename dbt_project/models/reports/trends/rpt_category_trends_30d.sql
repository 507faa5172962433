with

shops as (
    select * from {{ ref('shops') }}
),

category_sales as (
    select * from {{ ref('category_sales_daily') }}
),

window_sales as (
    select category_sales.*
    from category_sales
    inner join shops
        on category_sales.shop_domain = shops.shop_domain
    where {{ within_last_days('category_sales.sales_date', 30) }}
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
        {{ views_pct('revenue', 'sum(revenue) over (partition by shop_domain, sales_date)', 2) }}
            as revenue_share_of_day_pct,
        round(
            avg(revenue) over (
                partition by shop_domain, category_l1, category_l2
                order by sales_date
                range between interval '6 days' preceding and current row
            ),
            2
        ) as revenue_7d_moving_avg
    from window_sales
)

select * from final
