-- Method: straight-line depletion. Days until stock-out = available units / average daily units
-- sold over the last 30 days (inventory_snapshots.avg_daily_sales); the stock-out date is the
-- snapshot date plus that many days; reorder-by date subtracts the supplier lead time
-- (var stockout_lead_time_days, default 14). SKUs without recent sales have no stock-out date.

with

latest as (
    select * from {{ ref('inventory_latest') }}
),

projected as (
    select
        {{ qualified('latest', [
            'shop_domain',
            'snapshot_date',
            'shopify_product_id',
            'shopify_variant_id',
            'sku',
            'quantity_available',
            'avg_daily_sales',
            'stock_status',
            'velocity_tier',
        ]) }},
        case
            when latest.quantity_available <= 0 then 0
            when latest.avg_daily_sales > 0 then floor(latest.quantity_available / latest.avg_daily_sales)::integer
        end as days_until_stockout
    from latest
),

final as (
    select
        *,
        snapshot_date + days_until_stockout as projected_stockout_date,
        snapshot_date + days_until_stockout - {{ var('stockout_lead_time_days', 14) }} as reorder_by_date,
        case
            when days_until_stockout is null then 'no_recent_sales'
            when days_until_stockout = 0 then 'stocked_out'
            when days_until_stockout <= {{ var('stockout_lead_time_days', 14) }} then 'stockout_within_lead_time'
            when days_until_stockout <= 2 * {{ var('stockout_lead_time_days', 14) }} then 'reorder_soon'
            else 'ok'
        end as stockout_risk,
        'linear_depletion_30d_avg' as method
    from projected
)

select * from final
