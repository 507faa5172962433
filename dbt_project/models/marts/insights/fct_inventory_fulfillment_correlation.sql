-- Method: Pearson correlation over the last 90 local days (of inventory snapshot history)
-- between the number of out-of-stock / low-stock SKUs on a day and the share of that day's
-- orders that breached the 2-day fulfillment SLA (or carry an inventory_shortage issue).

with

shops as (
    select * from {{ ref('shops') }}
),

snapshots as (
    select * from {{ ref('inventory_snapshots') }}
),

tracking as (
    select * from {{ ref('fulfillment_tracking') }}
),

stock_daily as (
    select
        snapshots.shop_domain,
        snapshots.snapshot_date as metric_date,
        count(*) filter (where snapshots.stock_status = 'out_of_stock') as out_of_stock_skus,
        count(*) filter (where snapshots.stock_status = 'low_stock') as low_stock_skus
    from snapshots
    {{ join_each('snapshots', ['shops'], ['shop_domain'], 'inner') }}
    where snapshots.snapshot_date > shops.as_of_date - 90
    group by snapshots.shop_domain, snapshots.snapshot_date
),

fulfillment_daily as (
    select
        tracking.shop_domain,
        {{ local_date('tracking.order_created_at', 'shops.iana_timezone') }} as metric_date,
        count(*) as orders,
        count(*) filter (where tracking.is_sla_breach) as sla_breaches,
        count(*) filter (where tracking.issue_type = 'inventory_shortage') as inventory_shortage_issues
    from tracking
    {{ join_each('tracking', ['shops'], ['shop_domain'], 'inner') }}
    where
        tracking.order_created_at >= {{ hotrod_as_of() }} - interval '91 days'
        and tracking.fulfillment_status <> 'cancelled'
    group by tracking.shop_domain, metric_date
),

joined as (
    select
        stock_daily.shop_domain,
        stock_daily.metric_date,
        stock_daily.out_of_stock_skus::float8 as out_of_stock_skus,
        stock_daily.low_stock_skus::float8 as low_stock_skus,
        fulfillment_daily.orders,
        (fulfillment_daily.sla_breaches::float8 / nullif(fulfillment_daily.orders, 0)) as breach_rate,
        fulfillment_daily.inventory_shortage_issues::float8 as inventory_shortage_issues
    from stock_daily
    {{ join_each('stock_daily', ['fulfillment_daily'], ['shop_domain', 'metric_date'], 'inner') }}
),

final as (
    select
        shops.shop_domain,
        min(joined.metric_date) as window_start,
        max(joined.metric_date) as window_end,
        count(joined.metric_date) as days,
        round(avg(joined.out_of_stock_skus)::numeric, 2) as avg_out_of_stock_skus,
        round((100 * avg(joined.breach_rate))::numeric, 2) as avg_sla_breach_rate_pct,
        round(corr(joined.out_of_stock_skus, joined.breach_rate)::numeric, 3) as corr_out_of_stock_breach_rate,
        round(corr(joined.low_stock_skus, joined.breach_rate)::numeric, 3) as corr_low_stock_breach_rate,
        round(corr(joined.out_of_stock_skus, joined.inventory_shortage_issues)::numeric, 3)
            as corr_out_of_stock_shortage_issues,
        'pearson_90d_daily' as method
    from shops
    {{ join_each('shops', ['joined']) }}
    group by shops.shop_domain
)

select * from final
