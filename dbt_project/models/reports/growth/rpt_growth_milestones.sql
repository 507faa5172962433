with

daily as (
    select * from {{ ref('sales_metrics_daily') }}
),

monthly as (
    select
        shop_domain,
        date_trunc('month', date)::date as month_start,
        sum(total_revenue) as monthly_revenue,
        sum(total_orders) as monthly_orders
    from daily
    group by 1, 2
),

rolled as (
    select
        *,
        sum(monthly_revenue) over (
            partition by shop_domain, date_trunc('year', month_start) order by month_start
        ) as ytd_revenue,
        round(
            avg(monthly_revenue) over (
                partition by shop_domain order by month_start rows between 2 preceding and current row
            ),
            2
        ) as trailing_3m_avg_revenue,
        sum(monthly_revenue) over (
            partition by shop_domain order by month_start rows between 11 preceding and current row
        ) as trailing_12m_revenue,
        lag(monthly_revenue) over (partition by shop_domain order by month_start) as prior_month_revenue
    from monthly
),

final as (
    select
        shop_domain,
        month_start,
        monthly_revenue,
        monthly_orders,
        {{ views_pct('monthly_revenue - prior_month_revenue', 'prior_month_revenue', 2) }} as mom_growth_pct,
        ytd_revenue,
        trailing_3m_avg_revenue,
        trailing_12m_revenue,
        trailing_3m_avg_revenue * 12 as annualized_run_rate,
        case
            when trailing_3m_avg_revenue * 12 >= 10000000 then '$10MM+'
            when trailing_3m_avg_revenue * 12 >= 5000000 then '$5MM-$10MM'
            when trailing_3m_avg_revenue * 12 >= 1000000 then '$1MM-$5MM'
            else 'Pre-$1MM'
        end as milestone_tier,
        least(round(100.0 * trailing_3m_avg_revenue * 12 / 10000000, 2), 100.00) as progress_to_10mm_pct,
        greatest(10000000 - trailing_3m_avg_revenue * 12, 0) as gap_to_10mm
    from rolled
)

select * from final
