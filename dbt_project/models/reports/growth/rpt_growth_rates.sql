with

daily as (
    select * from {{ ref('sales_metrics_daily') }}
),

weekly as (
    select
        shop_domain,
        date_trunc('week', date)::date as week_start,
        count(*) as days_with_sales,
        sum(total_revenue) as weekly_revenue,
        sum(total_orders) as weekly_orders
    from daily
    group by 1, 2
),

with_prior as (
    select
        *,
        lag(weekly_revenue) over (partition by shop_domain order by week_start) as prior_week_revenue,
        lag(weekly_orders) over (partition by shop_domain order by week_start) as prior_week_orders,
        avg(weekly_revenue) over (
            partition by shop_domain order by week_start rows between 4 preceding and 1 preceding
        ) as prior_4w_avg_revenue
    from weekly
),

final as (
    select
        shop_domain,
        week_start,
        days_with_sales,
        weekly_revenue,
        weekly_orders,
        round(weekly_revenue / nullif(weekly_orders, 0), 2) as weekly_avg_order_value,
        prior_week_revenue,
        prior_week_orders,
        {{ views_pct('weekly_revenue - prior_week_revenue', 'prior_week_revenue', 2) }} as wow_revenue_growth_pct,
        {{ views_pct('weekly_orders - prior_week_orders', 'prior_week_orders', 2) }} as wow_orders_growth_pct,
        {{ views_pct('weekly_revenue - prior_4w_avg_revenue', 'prior_4w_avg_revenue', 2) }}
            as vs_prior_4w_avg_pct
    from with_prior
)

select * from final
