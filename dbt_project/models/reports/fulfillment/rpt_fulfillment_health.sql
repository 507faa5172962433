with

tracking as (
    select * from {{ ref('fulfillment_tracking') }}
),

shops as (
    select * from {{ ref('shops') }}
),

window_orders as (
    select *
    from tracking
    where
        order_created_at >= {{ hotrod_as_of() }} - interval '30 days'
        and order_created_at <= {{ hotrod_as_of() }}
        and fulfillment_status <> 'cancelled'
),

open_breaches as (
    select
        shop_domain,
        count(*) as open_sla_breaches
    from tracking
    where
        is_sla_breach
        and fulfilled_at is null
        and fulfillment_status <> 'cancelled'
    group by shop_domain
),

aggregated as (
    select
        shop_domain,
        count(*) as total_orders,
        count(*) filter (where fulfillment_status = 'fulfilled') as orders_fulfilled,
        count(*) filter (where fulfillment_status = 'partial') as orders_partial,
        count(*) filter (where fulfillment_status = 'unfulfilled') as orders_unfulfilled,
        round(avg(days_to_fulfill), 2) as avg_days_to_fulfill,
        count(*) filter (where is_sla_breach) as sla_breaches,
        count(*) filter (where has_issue) as orders_with_issues,
        count(*) filter (where issue_severity = 'critical') as critical_issues,
        count(*) filter (where issue_severity = 'high') as high_issues,
        count(*) filter (where issue_severity = 'medium') as medium_issues,
        count(*) filter (where issue_severity = 'low') as low_issues
    from window_orders
    group by shop_domain
),

final as (
    select
        shops.shop_domain,
        ({{ hotrod_as_of() }} - interval '30 days') as window_start,
        {{ hotrod_as_of() }} as window_end,
        coalesce(aggregated.total_orders, 0) as total_orders,
        coalesce(aggregated.orders_fulfilled, 0) as orders_fulfilled,
        coalesce(aggregated.orders_partial, 0) as orders_partial,
        coalesce(aggregated.orders_unfulfilled, 0) as orders_unfulfilled,
        {{ views_pct('aggregated.orders_fulfilled', 'aggregated.total_orders') }} as fulfillment_rate_pct,
        aggregated.avg_days_to_fulfill,
        coalesce(aggregated.sla_breaches, 0) as sla_breaches,
        coalesce(open_breaches.open_sla_breaches, 0) as open_sla_breaches,
        {{ views_pct('aggregated.total_orders - aggregated.sla_breaches', 'aggregated.total_orders') }}
            as sla_compliance_pct,
        coalesce(aggregated.orders_with_issues, 0) as orders_with_issues,
        coalesce(aggregated.critical_issues, 0) as critical_issues,
        coalesce(aggregated.high_issues, 0) as high_issues,
        coalesce(aggregated.medium_issues, 0) as medium_issues,
        coalesce(aggregated.low_issues, 0) as low_issues
    from shops
    left join aggregated
        on shops.shop_domain = aggregated.shop_domain
    left join open_breaches
        on shops.shop_domain = open_breaches.shop_domain
)

select * from final
