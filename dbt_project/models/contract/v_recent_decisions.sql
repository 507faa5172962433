{#- As of query: the decisions of the 30 days before the moment it is read, with their age. -#}
select
    shop_domain,
    decision_id,
    actor,
    scope,
    recommendation,
    decision,
    created_at,
    round(extract(epoch from ({{ hotrod_as_of() }} - created_at))::numeric / 86400, 1) as age_days
from {{ ref('audit_decision_log') }}
where
    created_at >= {{ hotrod_as_of() }} - interval '30 days'
    and created_at <= {{ hotrod_as_of() }}
