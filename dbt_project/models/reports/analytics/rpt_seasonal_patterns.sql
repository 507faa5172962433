with

daily as (
    select * from {{ ref('sales_metrics_daily') }}
),

by_month as (
    select
        shop_domain,
        extract(month from date)::integer as month_of_year,
        count(*) as days_observed,
        sum(total_revenue) as total_revenue,
        sum(total_orders) as total_orders,
        round(avg(total_revenue), 2) as avg_daily_revenue,
        round(avg(total_orders), 2) as avg_daily_orders
    from daily
    group by 1, 2
),

final as (
    select
        shop_domain,
        month_of_year,
        to_char(make_date(2000, month_of_year, 1), 'Mon') as month_name,
        case when month_of_year between 4 and 10 then 'racing_season' else 'off_season' end as season,
        days_observed,
        total_revenue,
        total_orders,
        avg_daily_revenue,
        avg_daily_orders,
        round(
            avg_daily_revenue / nullif(avg(avg_daily_revenue) over (partition by shop_domain), 0), 3
        ) as seasonality_index
    from by_month
)

select * from final
