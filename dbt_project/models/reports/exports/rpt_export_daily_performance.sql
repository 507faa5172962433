with

shops as (
    select * from {{ ref('shops') }}
),

daily as (
    select * from {{ ref('sales_metrics_daily') }}
),

final as (
    select
        daily.shop_domain,
        daily.date,
        shops.currency_code,
        {{ qualified('daily', [
            'total_revenue',
            'total_orders',
            'avg_order_value',
            'revenue_vs_last_week_pct',
            'orders_vs_last_week_pct',
            'orders_fulfilled',
            'fulfillment_rate_pct',
            'refunded_amount',
            'net_revenue',
        ]) }}
    from daily
    {{ join_each('daily', ['shops'], ['shop_domain'], 'inner') }}
    where {{ within_last_days('daily.date', 90) }}
)

select * from final
