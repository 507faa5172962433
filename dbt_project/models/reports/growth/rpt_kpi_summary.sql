{#- Year over year: the same local dates one year back (doc block `yoy_rule`). -#}

with

shops as (
    select * from {{ ref('shops') }}
),

daily as (
    select * from {{ ref('sales_metrics_daily') }}
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
        shops.shop_domain,
        first_days.first_sales_date,
        (shops.as_of_date - interval '1 year')::date as ly_as_of_date
    from shops
    left join first_days
        on shops.shop_domain = first_days.shop_domain
),

aggregated_ly as (
    select
        last_year.shop_domain,
        sum(daily.total_revenue) filter (
            where daily.date >= date_trunc('month', last_year.ly_as_of_date)
        ) as mtd_revenue,
        sum(daily.total_revenue) filter (
            where daily.date >= date_trunc('year', last_year.ly_as_of_date)
        ) as ytd_revenue,
        sum(daily.total_orders) filter (
            where daily.date >= date_trunc('year', last_year.ly_as_of_date)
        ) as ytd_orders,
        sum(daily.total_revenue) filter (where daily.date > last_year.ly_as_of_date - 30) as revenue_30d,
        bool_or(last_year.first_sales_date <= date_trunc('month', last_year.ly_as_of_date)) as covers_mtd,
        bool_or(last_year.first_sales_date <= date_trunc('year', last_year.ly_as_of_date)) as covers_ytd,
        bool_or(last_year.first_sales_date <= last_year.ly_as_of_date - 29) as covers_30d
    from last_year
    left join daily
        on
            last_year.shop_domain = daily.shop_domain
            and last_year.ly_as_of_date >= daily.date
            and least(
                date_trunc('year', last_year.ly_as_of_date)::date, last_year.ly_as_of_date - 29
            ) <= daily.date
    group by last_year.shop_domain
),

aggregated as (
    select
        shops.shop_domain,
        sum(daily.total_revenue) filter (
            where daily.date >= date_trunc('month', shops.as_of_date)
        ) as mtd_revenue,
        sum(daily.total_orders) filter (
            where daily.date >= date_trunc('month', shops.as_of_date)
        ) as mtd_orders,
        sum(daily.total_revenue) filter (
            where daily.date >= date_trunc('year', shops.as_of_date)
        ) as ytd_revenue,
        sum(daily.total_orders) filter (
            where daily.date >= date_trunc('year', shops.as_of_date)
        ) as ytd_orders,
        sum(daily.total_revenue) filter (where daily.date > shops.as_of_date - 30) as revenue_30d,
        sum(daily.total_orders) filter (where daily.date > shops.as_of_date - 30) as orders_30d,
        sum(daily.orders_fulfilled) filter (where daily.date > shops.as_of_date - 30) as fulfilled_30d,
        sum(daily.refunded_amount) filter (where daily.date > shops.as_of_date - 30) as refunded_30d
    from shops
    left join daily
        on
            shops.shop_domain = daily.shop_domain
            and shops.as_of_date >= daily.date
            and least(
                date_trunc('year', shops.as_of_date)::date, shops.as_of_date - 29
            ) <= daily.date
    group by shops.shop_domain
),

ly_figures as (
    select
        shop_domain,
        case when covers_mtd then coalesce(mtd_revenue, 0) end as mtd_revenue_last_year,
        case when covers_ytd then coalesce(ytd_revenue, 0) end as ytd_revenue_last_year,
        case when covers_ytd then coalesce(ytd_orders, 0) end as ytd_orders_last_year,
        case when covers_30d then coalesce(revenue_30d, 0) end as revenue_30d_last_year
    from aggregated_ly
),

final as (
    select
        shops.shop_domain,
        shops.as_of_date,
        shops.currency_code,
        coalesce(aggregated.mtd_revenue, 0) as mtd_revenue,
        coalesce(aggregated.mtd_orders, 0) as mtd_orders,
        coalesce(aggregated.ytd_revenue, 0) as ytd_revenue,
        coalesce(aggregated.ytd_orders, 0) as ytd_orders,
        round(coalesce(aggregated.revenue_30d, 0) / 30.0, 2) as avg_daily_revenue_30d,
        round(coalesce(aggregated.orders_30d, 0) / 30.0, 2) as avg_daily_orders_30d,
        round(aggregated.revenue_30d / nullif(aggregated.orders_30d, 0), 2) as avg_order_value_30d,
        {{ views_pct('aggregated.fulfilled_30d', 'aggregated.orders_30d') }} as fulfillment_rate_30d_pct,
        coalesce(aggregated.refunded_30d, 0) as refunded_30d,
        round(
            coalesce(aggregated.ytd_revenue, 0)
            / greatest(shops.as_of_date - date_trunc('year', shops.as_of_date)::date + 1, 1)
            * 365,
            2
        ) as annualized_ytd_run_rate,
        ly.mtd_revenue_last_year,
        {{ views_pct('coalesce(aggregated.mtd_revenue, 0) - ly.mtd_revenue_last_year', 'ly.mtd_revenue_last_year', 2) }}
            as yoy_mtd_revenue_pct,
        ly.ytd_revenue_last_year,
        ly.ytd_orders_last_year,
        {{ views_pct('coalesce(aggregated.ytd_revenue, 0) - ly.ytd_revenue_last_year', 'ly.ytd_revenue_last_year', 2) }}
            as yoy_ytd_revenue_pct,
        {{ views_pct('coalesce(aggregated.ytd_orders, 0) - ly.ytd_orders_last_year', 'ly.ytd_orders_last_year', 2) }}
            as yoy_ytd_orders_pct,
        coalesce(aggregated.revenue_30d, 0) as revenue_30d,
        ly.revenue_30d_last_year,
        {{ views_pct('coalesce(aggregated.revenue_30d, 0) - ly.revenue_30d_last_year', 'ly.revenue_30d_last_year', 2) }}
            as yoy_30d_revenue_pct
    from shops
    left join aggregated
        on shops.shop_domain = aggregated.shop_domain
    left join ly_figures as ly
        on shops.shop_domain = ly.shop_domain
)

select * from final
