with

window_sales as (
    {{ shop_window(ref('category_sales_daily'), 'sales_date', 30) }}
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
