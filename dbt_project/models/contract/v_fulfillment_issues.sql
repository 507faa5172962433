with

issues as (
    select * from {{ ref('tile_fulfillment_issues') }}
),

final as (
    select
        shop_domain,
        shopify_order_id,
        order_number,
        fulfillment_status,
        days_to_fulfill,
        round(days_since_order, 1) as days_since_order,
        is_sla_breach,
        issue_type,
        issue_severity,
        severity_rank,
        customer_segment,
        is_priority_customer,
        order_created_at,
        fulfilled_at,
        sla_deadline,
        hours_past_sla
    from issues
    where urgency_rank <= {{ views_tile_list_size() }}
    order by urgency_rank
)

select * from final
