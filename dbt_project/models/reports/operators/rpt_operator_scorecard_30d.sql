{#- Per operator over the last 30 local days: efficiency score and ranks, SLA compliance and its status. -#}

with

operator_days as (
    select * from {{ ref('rpt_operator_days_30d') }}
),

per_operator as (
    select
        shop_domain,
        operator_id,
        {{ operator_totals() }},
        coalesce(sum(sla_breaches_resolved)::numeric / nullif(sum(sla_breaches_detected), 0), 1)
            as resolution_ratio,
        avg(median_response_time) as avg_median_response_time,
        round(max(p95_response_time), 1) as worst_p95_response_time
    from operator_days
    group by shop_domain, operator_id
),

scored as (
    select
        *,
        -- 60% resolution ratio, 40% speed (120-minute SLA target: 0 min scores 1, >= 240 min scores 0)
        round(
            100 * (
                0.6 * resolution_ratio
                + 0.4 * greatest(0, 1 - coalesce(avg_median_response_time, 240) / 240.0)
            ),
            1
        ) as efficiency_score
    from per_operator
),

final as (
    select
        shop_domain,
        operator_id,
        active_days,
        sla_breaches_detected,
        sla_breaches_resolved,
        round(100 * resolution_ratio, 1) as resolution_rate_pct,
        round(avg_median_response_time, 1) as avg_median_response_time,
        worst_p95_response_time,
        efficiency_score,
        rank() over (partition by shop_domain order by efficiency_score desc) as efficiency_rank,
        rank() over (partition by shop_domain order by sla_breaches_resolved desc) as volume_rank,
        case
            when percent_rank() over (partition by shop_domain order by efficiency_score) >= 0.75
                then 'top'
            when percent_rank() over (partition by shop_domain order by efficiency_score) >= 0.25
                then 'middle'
            else 'bottom'
        end as performance_band,
        {{ views_pct('sla_breaches_resolved', 'sla_breaches_detected') }} as compliance_pct,
        (case
            when sla_breaches_detected = 0 or sla_breaches_resolved >= 0.9 * sla_breaches_detected
                then 'meets_target'
            when sla_breaches_resolved >= 0.75 * sla_breaches_detected then 'at_risk'
            else 'below_target'
        end)::vocab.compliance_status as compliance_status
    from scored
)

select * from final
