with

decisions as (
    select * from {{ ref('rpt_audit_export') }}
),

calendar as (
    select
        shop_domain,
        date as decision_date
    from {{ ref('shop_days') }}
    where days_ago < 7
),

final as (
    select
        calendar.shop_domain,
        calendar.decision_date,
        count(decisions.decision_id) as total_decisions,
        count(decisions.decision_id) filter (where decisions.decision = 'approved') as approved,
        count(decisions.decision_id) filter (where decisions.decision = 'rejected') as rejected,
        {{ views_pct(
            "count(decisions.decision_id) filter (where decisions.decision = 'approved')",
            'count(decisions.decision_id)'
        ) }} as approval_rate_pct,
        count(distinct decisions.actor) as active_actors,
        count(distinct decisions.scope) as scopes
    from calendar
    {{ join_each('calendar', ['decisions'], ['shop_domain', ['decision_date', 'decision_local_date']]) }}
    group by calendar.shop_domain, calendar.decision_date
)

select * from final
