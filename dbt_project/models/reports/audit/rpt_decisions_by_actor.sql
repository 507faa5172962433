with

decisions as (
    select * from {{ ref('audit_decision_log') }}
),

final as (
    select
        shop_domain,
        actor,
        count(*) as total_decisions,
        {{ counts_by('decision', ['approved', 'rejected']) }},
        {{ views_pct("count(*) filter (where decision = 'approved')", 'count(*)') }} as approval_rate_pct,
        count(distinct scope) as scopes,
        count(*) filter (where created_at >= {{ hotrod_as_of() }} - interval '30 days') as decisions_30d,
        min(created_at) as first_decision_at,
        max(created_at) as last_decision_at
    from decisions
    group by shop_domain, actor
)

select * from final
