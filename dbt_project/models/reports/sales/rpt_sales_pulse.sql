{#- Tile 1 (doc block `sales_so_far`): the as-of local day so far against the same time last week. -#}

with

shops as (
    select * from {{ ref('shops') }}
),

daily as (
    select * from {{ ref('sales_metrics_daily') }}
),

so_far as (
    select * from {{ ref('sales_so_far') }}
),

sessions_so_far as (
    select * from {{ ref('sessions_so_far') }}
),

top_products as (
    select * from {{ ref('rpt_sales_top_products') }}
),

final as (
    select
        shops.shop_domain,
        shops.as_of_date as "current_date",
        shops.as_of_at as measured_at,
        {{ coalesced('today', ['total_revenue', 'total_orders']) }},
        today.avg_order_value,
        last_week.revenue_so_far as last_week_same_time_revenue,
        last_week.orders_so_far as last_week_same_time_orders,
        {{ views_pct('coalesce(today.total_revenue, 0) - last_week.revenue_so_far', 'last_week.revenue_so_far', 2) }}
            as revenue_vs_last_week_pct,
        {{ views_pct('coalesce(today.total_orders, 0) - last_week.orders_so_far', 'last_week.orders_so_far', 2) }}
            as orders_vs_last_week_pct,
        last_week.revenue_full_day as last_week_full_day_revenue,
        last_week.orders_full_day as last_week_full_day_orders,
        coalesce(today.orders_fulfilled, 0) as orders_fulfilled,
        today.fulfillment_rate_pct,
        {{ coalesced('today', ['refunded_amount', 'net_revenue']) }},
        coalesce(top_products.top_products, '[]'::jsonb) as top_products,
        today_sessions.sessions_so_far,
        today_sessions.conversion_rate_pct,
        last_week_sessions.conversion_rate_pct as last_week_same_time_conversion_rate_pct,
        round(today_sessions.conversion_rate_pct - last_week_sessions.conversion_rate_pct, 2)
            as conversion_rate_vs_last_week_pts
    from shops
    {{ join_each('shops', ['daily as today'], ['shop_domain', ['as_of_date', 'date']]) }}
    left join so_far as last_week
        on
            shops.shop_domain = last_week.shop_domain
            and last_week.days_ago = 7
    {{ join_each('shops', ['top_products']) }}
    left join sessions_so_far as today_sessions
        on
            shops.shop_domain = today_sessions.shop_domain
            and today_sessions.days_ago = 0
    left join sessions_so_far as last_week_sessions
        on
            shops.shop_domain = last_week_sessions.shop_domain
            and last_week_sessions.days_ago = 7
)

select * from final
