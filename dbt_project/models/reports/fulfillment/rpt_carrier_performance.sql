{#- Per shop, carrier, shipping method and local week of shipment; doc block `carrier_rules`. -#}

with

shipments as (
    select * from {{ ref('fulfillment_shipments') }}
),

final as (
    select
        shop_domain,
        carrier,
        shipping_method,
        shipped_week_start as week_start,
        count(*) as shipments,
        count(delivered_at) as delivered,
        count(is_on_time) as due_shipments,
        count(*) filter (where is_on_time) as on_time_shipments,
        {{ views_pct('count(*) filter (where is_on_time)', 'count(is_on_time)', 2) }} as on_time_pct,
        round(avg(days_to_deliver), 2) as avg_days_to_deliver,
        round((percentile_cont(0.9) within group (order by days_to_deliver))::numeric, 2) as p90_days_to_deliver,
        count(*) filter (where is_exception) as exceptions
    from shipments
    group by shop_domain, carrier, shipping_method, shipped_week_start
)

select * from final
