with

performance as (
    select * from {{ ref('rpt_operator_performance_7d') }}
),

scorecard as (
    select * from {{ ref('rpt_operator_scorecard_30d') }}
),

shops as (
    select * from {{ ref('shops') }}
),

week as (
    select
        shop_domain,
        count(*) as active_operators_7d,
        sum(sla_breaches_detected) as sla_breaches_detected_7d,
        sum(sla_breaches_resolved) as sla_breaches_resolved_7d,
        max(avg_p95_response_time) as worst_p95_response_time_7d
    from performance
    group by shop_domain
),

top_operator as (
    select distinct on (shop_domain)
        shop_domain,
        operator_id as top_operator_id,
        efficiency_score as top_efficiency_score
    from scorecard
    order by shop_domain, efficiency_rank, operator_id
),

month as (
    select
        shop_domain,
        count(*) as active_operators_30d,
        count(*) filter (where compliance_status = 'below_target') as operators_below_target_30d
    from scorecard
    group by shop_domain
),

final as (
    select
        shops.shop_domain,
        {{ coalesced('week', ['active_operators_7d', 'sla_breaches_detected_7d', 'sla_breaches_resolved_7d']) }},
        {{ views_pct('week.sla_breaches_resolved_7d', 'week.sla_breaches_detected_7d') }}
            as resolution_rate_7d_pct,
        week.worst_p95_response_time_7d,
        {{ coalesced('month', ['active_operators_30d', 'operators_below_target_30d']) }},
        top_operator.top_operator_id,
        top_operator.top_efficiency_score
    from shops
    {{ join_each('shops', ['week', 'month', 'top_operator']) }}
)

select * from final
