with

shops as (
    select * from {{ ref('shops') }}
),

daily as (
    select * from {{ ref('sales_metrics_daily') }}
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
        ) as annualized_ytd_run_rate
    from shops
    left join aggregated
        on shops.shop_domain = aggregated.shop_domain
)

select * from final
