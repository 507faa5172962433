with

decisions as (
    select * from {{ ref('audit_decision_log') }}
),

final as (
    select
        shop_domain,
        decision_id,
        actor,
        scope,
        recommendation,
        decision,
        created_at,
        round(extract(epoch from ({{ hotrod_as_of() }} - created_at))::numeric / 86400, 1) as age_days
    from decisions
    where
        created_at >= {{ hotrod_as_of() }} - interval '30 days'
        and created_at <= {{ hotrod_as_of() }}
)

select * from final
