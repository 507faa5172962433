{#-
    Same week last year (doc block `yoy_rule`): the week 52 weeks (364 days) earlier, so weekdays
    line up; of the current, incomplete week only the days elapsed so far are compared. Null when
    the shop's sales history does not reach back to that week's first day.
-#}

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
    group by shop_domain, date_trunc('week', date)::date
),

shops as (
    select * from {{ ref('shops') }}
),

first_days as (
    select
        shop_domain,
        min(date) as first_sales_date
    from daily
    group by shop_domain
),

last_year as (
    select
        weekly.shop_domain,
        weekly.week_start,
        case
            when bool_or(first_days.first_sales_date <= weekly.week_start - 364) then
                coalesce(sum(daily.total_revenue), 0)
        end as same_week_last_year_revenue,
        case
            when bool_or(first_days.first_sales_date <= weekly.week_start - 364) then
                coalesce(sum(daily.total_orders), 0)
        end as same_week_last_year_orders
    from weekly
    {{ join_each('weekly', ['shops'], ['shop_domain'], 'inner') }}
    {{ join_each('weekly', ['first_days']) }}
    left join daily
        on
            weekly.shop_domain = daily.shop_domain
            and daily.date >= weekly.week_start - 364
            and daily.date <= least(weekly.week_start + 6, shops.as_of_date) - 364
    group by weekly.shop_domain, weekly.week_start
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
        with_prior.shop_domain,
        with_prior.week_start,
        with_prior.days_with_sales,
        with_prior.weekly_revenue,
        with_prior.weekly_orders,
        round(with_prior.weekly_revenue / nullif(with_prior.weekly_orders, 0), 2) as weekly_avg_order_value,
        with_prior.prior_week_revenue,
        with_prior.prior_week_orders,
        {{ views_pct(
            'with_prior.weekly_revenue - with_prior.prior_week_revenue', 'with_prior.prior_week_revenue', 2
        ) }} as wow_revenue_growth_pct,
        {{ views_pct('with_prior.weekly_orders - with_prior.prior_week_orders', 'with_prior.prior_week_orders', 2) }}
            as wow_orders_growth_pct,
        {{ views_pct(
            'with_prior.weekly_revenue - with_prior.prior_4w_avg_revenue',
            'with_prior.prior_4w_avg_revenue',
            2,
        ) }} as vs_prior_4w_avg_pct,
        last_year.same_week_last_year_revenue,
        last_year.same_week_last_year_orders,
        {{ views_pct(
            'with_prior.weekly_revenue - last_year.same_week_last_year_revenue',
            'last_year.same_week_last_year_revenue',
            2,
        ) }} as yoy_revenue_growth_pct,
        {{ views_pct(
            'with_prior.weekly_orders - last_year.same_week_last_year_orders',
            'last_year.same_week_last_year_orders',
            2,
        ) }} as yoy_orders_growth_pct
    from with_prior
    {{ join_each('with_prior', ['last_year'], ['shop_domain', 'week_start']) }}
)

select * from final
