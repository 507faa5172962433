{#- Year over year: the same local dates one year back (doc block `yoy_rule`). -#}

{%- set kpi_sums = {
    'mtd_revenue': ['daily.total_revenue', 'mtd'],
    'mtd_orders': ['daily.total_orders', 'mtd'],
    'ytd_revenue': ['daily.total_revenue', 'ytd'],
    'ytd_orders': ['daily.total_orders', 'ytd'],
    'revenue_30d': ['daily.total_revenue', '30d'],
    'orders_30d': ['daily.total_orders', '30d'],
    'fulfilled_30d': ['daily.orders_fulfilled', '30d'],
    'refunded_30d': ['daily.refunded_amount', '30d'],
} %}

with

shops as (
    select * from {{ ref('shops') }}
),

daily as (
    select * from {{ ref('sales_metrics_daily') }}
),

last_year as (
    select
        shops.shop_domain,
        (
            select min(daily.date)
            from daily
            where daily.shop_domain = shops.shop_domain
        ) as first_sales_date,
        (shops.as_of_date - interval '1 year')::date as ly_as_of_date
    from shops
),

aggregated_ly as (
    {{ period_totals(
        'last_year', 'last_year.ly_as_of_date', 'daily', kpi_sums, ['mtd_revenue', 'ytd_revenue', 'ytd_orders', 'revenue_30d']
    ) }}
),

aggregated as (
    {{ period_totals('shops', 'shops.as_of_date', 'daily', kpi_sums) }}
),

ly_figures as (
    select
        last_year.shop_domain,
        case
            when last_year.first_sales_date <= date_trunc('month', last_year.ly_as_of_date)
                then coalesce(aggregated_ly.mtd_revenue, 0)
        end as mtd_revenue_last_year,
        case
            when last_year.first_sales_date <= date_trunc('year', last_year.ly_as_of_date)
                then coalesce(aggregated_ly.ytd_revenue, 0)
        end as ytd_revenue_last_year,
        case
            when last_year.first_sales_date <= date_trunc('year', last_year.ly_as_of_date)
                then coalesce(aggregated_ly.ytd_orders, 0)
        end as ytd_orders_last_year,
        case
            when last_year.first_sales_date <= last_year.ly_as_of_date - 29
                then coalesce(aggregated_ly.revenue_30d, 0)
        end as revenue_30d_last_year
    from last_year
    {{ join_each('last_year', ['aggregated_ly']) }}
),

final as (
    select
        shops.shop_domain,
        shops.as_of_date,
        shops.currency_code,
        {{ coalesced('aggregated', ['mtd_revenue', 'mtd_orders', 'ytd_revenue', 'ytd_orders']) }},
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
    {{ join_each('shops', ['aggregated', 'ly_figures as ly']) }}
)

select * from final
