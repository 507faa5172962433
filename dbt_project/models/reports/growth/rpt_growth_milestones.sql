{#-
    Monthly revenue and the $1MM -> $10MM milestones (doc block `growth_run_rate`): each month's
    run rate is its revenue when complete, and for the current month the revenue of its complete
    local days projected to the whole month; the trailing 3-month average of those run rates,
    times 12, places the shop on the milestone ladder.
-#}

with

shops as (
    select * from {{ ref('shops') }}
),

daily as (
    select * from {{ ref('sales_metrics_daily') }}
),

monthly as (
    select
        daily.shop_domain,
        shops.as_of_date,
        date_trunc('month', daily.date)::date as month_start,
        sum(daily.total_revenue) as monthly_revenue,
        sum(daily.total_orders) as monthly_orders,
        coalesce(sum(daily.total_revenue) filter (where daily.date < shops.as_of_date), 0)
            as complete_days_revenue
    from daily
    {{ join_each('daily', ['shops'], ['shop_domain'], 'inner') }}
    where daily.date <= shops.as_of_date
    group by daily.shop_domain, shops.as_of_date, date_trunc('month', daily.date)
),

run_rates as (
    select
        *,
        month_start < date_trunc('month', as_of_date) as is_complete_month,
        case
            when month_start < date_trunc('month', as_of_date) then monthly_revenue
            when as_of_date > month_start
                then round(
                    complete_days_revenue / (as_of_date - month_start)
                    * ((month_start + interval '1 month')::date - month_start),
                    2
                )
        end as month_run_rate_revenue
    from monthly
),

rolled as (
    select
        *,
        sum(monthly_revenue) over (
            partition by shop_domain, date_trunc('year', month_start) order by month_start
        ) as ytd_revenue,
        round({{ rolling('avg', 'month_run_rate_revenue', 'month_start', 2) }}, 2) as trailing_3m_avg_revenue,
        {{ rolling('sum', 'monthly_revenue', 'month_start', 11) }} as trailing_12m_revenue,
        lag(monthly_revenue) over (partition by shop_domain order by month_start) as prior_month_revenue
    from run_rates
),

final as (
    select
        shop_domain,
        month_start,
        is_complete_month,
        monthly_revenue,
        monthly_orders,
        month_run_rate_revenue,
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
