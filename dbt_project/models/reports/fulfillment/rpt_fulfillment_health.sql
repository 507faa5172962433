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
        {{ within_trailing('order_created_at', 30) }}
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

window_shipments as (
    select *
    from {{ ref('fulfillment_shipments') }}
    where {{ within_trailing('shipped_at', 30) }}
),

carriers as (
    select
        shop_domain,
        carrier,
        count(*) as shipments,
        count(*) filter (where is_on_time) as on_time_shipments,
        count(is_on_time) as due_shipments,
        {{ views_pct('count(*) filter (where is_on_time)', 'count(is_on_time)', 2) }} as on_time_pct,
        round(avg(days_to_deliver), 2) as avg_days_to_deliver,
        round((percentile_cont(0.9) within group (order by days_to_deliver))::numeric, 2) as p90_days_to_deliver,
        count(*) filter (where is_exception) as exceptions
    from window_shipments
    group by shop_domain, carrier
),

carrier_panel as (
    -- the carrier panel (doc block `carrier_rules`): each carrier's last 30 days of shipments
    select
        shop_domain,
        {{ views_pct('sum(on_time_shipments)', 'sum(due_shipments)', 2) }} as on_time_delivery_pct,
        {{ json_list(
            ['carrier', 'shipments', 'on_time_pct', 'avg_days_to_deliver', 'p90_days_to_deliver', 'exceptions'],
            'shipments desc, carrier asc',
        ) }} as carriers
    from carriers
    group by shop_domain
),

aggregated as (
    select
        shop_domain,
        count(*) as total_orders,
        {{ counts_by('fulfillment_status', ['fulfilled', 'partial', 'unfulfilled'], prefix='orders_') }},
        round(avg(days_to_fulfill), 2) as avg_days_to_fulfill,
        {{ counts_where({'sla_breaches': 'is_sla_breach', 'orders_with_issues': 'has_issue'}) }},
        {{ counts_by('issue_severity', ['critical', 'high', 'medium', 'low'], suffix='_issues') }}
    from window_orders
    group by shop_domain
),

final as (
    select
        shops.shop_domain,
        ({{ hotrod_as_of() }} - interval '30 days') as window_start,
        {{ hotrod_as_of() }} as window_end,
        {{ coalesced('aggregated', ['total_orders', 'orders_fulfilled', 'orders_partial', 'orders_unfulfilled']) }},
        {{ views_pct('aggregated.orders_fulfilled', 'aggregated.total_orders') }} as fulfillment_rate_pct,
        aggregated.avg_days_to_fulfill,
        coalesce(aggregated.sla_breaches, 0) as sla_breaches,
        coalesce(open_breaches.open_sla_breaches, 0) as open_sla_breaches,
        {{ views_pct('aggregated.total_orders - aggregated.sla_breaches', 'aggregated.total_orders') }}
            as sla_compliance_pct,
        {{ coalesced(
            'aggregated',
            [
                'orders_with_issues',
                'critical_issues',
                'high_issues',
                'medium_issues',
                'low_issues',
            ],
        ) }},
        carrier_panel.on_time_delivery_pct,
        coalesce(carrier_panel.carriers, '[]'::jsonb) as carrier_panel
    from shops
    {{ join_each('shops', ['aggregated', 'open_breaches', 'carrier_panel']) }}
)

select * from final
