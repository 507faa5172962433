with

decisions as (
    select * from {{ ref('audit_decision_log') }}
),

aggregated as (
    select
        shop_domain,
        scope,
        count(*) as total_decisions,
        {{ counts_by('decision', ['approved', 'rejected']) }},
        count(distinct actor) as actors,
        max(created_at) as last_decision_at
    from decisions
    group by shop_domain, scope
),

final as (
    select
        shop_domain,
        scope,
        total_decisions,
        approved,
        rejected,
        {{ views_pct('approved', 'total_decisions') }} as approval_rate_pct,
        {{ views_pct('total_decisions', 'sum(total_decisions) over (partition by shop_domain)') }}
            as share_of_decisions_pct,
        actors,
        last_decision_at
    from aggregated
)

select * from final
