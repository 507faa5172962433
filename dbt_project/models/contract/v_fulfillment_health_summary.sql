with

health as (
    select * from {{ ref('tile_fulfillment_health') }}
),

final as (
    select
        shop_domain,
        window_start,
        window_end,
        total_orders,
        orders_fulfilled,
        orders_partial,
        orders_unfulfilled,
        fulfillment_rate_pct,
        avg_days_to_fulfill,
        sla_breaches,
        open_sla_breaches,
        sla_compliance_pct,
        orders_with_issues,
        critical_issues,
        high_issues,
        medium_issues,
        low_issues
    from health
)

select * from final
