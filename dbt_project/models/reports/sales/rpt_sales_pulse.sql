with

shops as (
    select * from {{ ref('shop_timezones') }}
),

daily as (
    select * from {{ ref('sales_metrics_daily') }}
),

top_products as (
    select * from {{ ref('tile_sales_top_products') }}
),

shop_days as (
    select
        shop_domain,
        {{ views_local_today('iana_timezone') }} as as_of_date
    from shops
),

final as (
    select
        shop_days.shop_domain,
        shop_days.as_of_date as "current_date",
        coalesce(today.total_revenue, 0) as total_revenue,
        coalesce(today.total_orders, 0) as total_orders,
        today.avg_order_value,
        coalesce(last_week.total_revenue, 0) as last_week_revenue,
        coalesce(last_week.total_orders, 0) as last_week_orders,
        {{ views_pct('coalesce(today.total_revenue, 0) - last_week.total_revenue', 'last_week.total_revenue', 2) }}
            as revenue_vs_last_week_pct,
        {{ views_pct('coalesce(today.total_orders, 0) - last_week.total_orders', 'last_week.total_orders', 2) }}
            as orders_vs_last_week_pct,
        coalesce(today.orders_fulfilled, 0) as orders_fulfilled,
        today.fulfillment_rate_pct,
        coalesce(today.refunded_amount, 0) as refunded_amount,
        coalesce(today.net_revenue, 0) as net_revenue,
        coalesce(top_products.top_products, '[]'::jsonb) as top_products
    from shop_days
    left join daily as today
        on
            shop_days.shop_domain = today.shop_domain
            and shop_days.as_of_date = today.date
    left join daily as last_week
        on
            shop_days.shop_domain = last_week.shop_domain
            and shop_days.as_of_date - 7 = last_week.date
    left join top_products
        on shop_days.shop_domain = top_products.shop_domain
)

select * from final
