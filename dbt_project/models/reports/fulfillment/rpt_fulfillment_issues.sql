with

tracking as (
    select * from {{ ref('fulfillment_tracking') }}
),

current_issues as (
    select *
    from tracking
    where
        (
            fulfillment_status in ('unfulfilled', 'partial')
            and (is_sla_breach or has_issue)
        )
        or (
            has_issue
            and order_created_at >= {{ hotrod_as_of() }} - interval '30 days'
        )
),

final as (
    select
        shop_domain,
        shopify_order_id,
        order_number,
        fulfillment_status,
        days_to_fulfill,
        extract(epoch from ({{ hotrod_as_of() }} - order_created_at))::numeric / 86400
            as days_since_order,
        is_sla_breach,
        coalesce(issue_type, case when is_sla_breach then 'delayed_shipping' end) as issue_type,
        coalesce(
            issue_severity,
            case
                when is_sla_breach and is_priority_customer then 'high'
                when is_sla_breach then 'medium'
            end
        )::vocab.severity as issue_severity,
        customer_segment,
        is_priority_customer,
        order_created_at,
        fulfilled_at,
        sla_deadline,
        round(
            greatest(
                extract(epoch from (coalesce(fulfilled_at, {{ hotrod_as_of() }}) - sla_deadline)), 0
            )::numeric / 3600,
            1
        ) as hours_past_sla
    from current_issues
),

ranked as (
    select
        *,
        {{ severity_rank('issue_severity') }} as severity_rank
    from final
),

by_urgency as (
    {{ urgency_ranked(
        'ranked',
        ['severity_rank asc', 'hours_past_sla desc nulls last', 'order_created_at asc', 'shopify_order_id asc'],
    ) }}
)

select * from by_urgency
