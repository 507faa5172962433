with

latest as (
    select * from {{ ref('inventory_latest') }}
    where stock_status in ('low_stock', 'out_of_stock', 'overstock')
),

classified as (
    select
        *,
        case
            when stock_status = 'out_of_stock' and velocity_tier in ('fast', 'medium') then 'critical'
            when stock_status = 'out_of_stock' then 'high'
            when stock_status = 'low_stock' and velocity_tier = 'fast' then 'high'
            when stock_status = 'low_stock' then 'medium'
            else 'low'
        end::vocab.severity as alert_severity
    from latest
),

final as (
    select
        shop_domain,
        snapshot_date,
        shopify_product_id,
        shopify_variant_id,
        sku,
        quantity_available,
        reorder_point,
        avg_daily_sales,
        days_of_cover,
        stock_status::vocab.stock_status as stock_status,
        velocity_tier,
        alert_severity,
        {{ severity_rank('alert_severity') }} as alert_rank,
        case
            when stock_status = 'out_of_stock'
                then format('Out of stock: %s (%s mover) - reorder now', sku, velocity_tier)
            when stock_status = 'low_stock'
                then format(
                    'Low stock: %s has %s units, about %s days of cover (reorder point %s)',
                    sku, quantity_available, coalesce(days_of_cover::text, '?'),
                    coalesce(reorder_point::text, '?')
                )
            else format(
                'Overstock: %s has %s units, %s days of cover',
                sku, quantity_available, coalesce(days_of_cover::text, 'no recent sales for')
            )
        end as alert_message
    from classified
),

by_urgency as (
    {{ urgency_ranked('final', ['alert_rank', 'days_of_cover nulls first', 'sku', 'shopify_variant_id']) }}
)

select * from by_urgency
