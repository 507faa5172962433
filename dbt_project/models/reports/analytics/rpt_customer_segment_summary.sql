with

customers as (
    select * from {{ ref('customer_segments') }}
),

aggregated as (
    select
        shop_domain,
        coalesce(primary_segment, 'Unsegmented') as primary_segment,
        count(*) as customers,
        sum(total_orders) as total_orders,
        sum(total_revenue) as total_revenue,
        round(avg(total_revenue), 2) as avg_lifetime_revenue,
        round(sum(total_revenue) / nullif(sum(total_orders), 0), 2) as avg_order_value,
        round(avg(segment_confidence), 3) as avg_segment_confidence,
        round(avg(days_since_last_order), 1) as avg_days_since_last_order,
        {{ counts_by('lifecycle_stage', ['new', 'active', 'at_risk', 'churned', 'reactivated'], suffix='_customers') }},
        count(*) filter (where prefers_performance) as prefers_performance_customers,
        count(*) filter (where prefers_restoration) as prefers_restoration_customers
    from customers
    group by 1, 2
),

final as (
    select
        *,
        {{ views_pct('customers', 'sum(customers) over (partition by shop_domain)', 2) }} as customer_share_pct,
        {{ views_pct('total_revenue', 'sum(total_revenue) over (partition by shop_domain)', 2) }}
            as revenue_share_pct
    from aggregated
)

select * from final
