with

precomputed as (
    select * from {{ ref('tile_sales_pulse') }}
),

final as (
    select
        shop_domain,
        "current_date",
        total_revenue,
        total_orders,
        avg_order_value,
        last_week_revenue,
        last_week_orders,
        revenue_vs_last_week_pct,
        orders_vs_last_week_pct,
        orders_fulfilled,
        fulfillment_rate_pct,
        refunded_amount,
        net_revenue,
        top_products
    from precomputed
)

select * from final
