{#- Per operator over the last 7 local days: breaches, resolution rate and response times. -#}

with

operator_days as (
    select * from {{ ref('rpt_operator_days_30d') }}
),

final as (
    select
        shop_domain,
        operator_id,
        {{ operator_totals() }},
        {{ views_pct('sum(sla_breaches_resolved)', 'sum(sla_breaches_detected)') }} as resolution_rate_pct,
        round(avg(median_response_time), 1) as avg_median_response_time,
        round(avg(p90_response_time), 1) as avg_p90_response_time,
        round(avg(p95_response_time), 1) as avg_p95_response_time,
        round(max(p90_response_time), 1) as max_p90_response_time,
        round(max(p95_response_time), 1) as max_p95_response_time,
        round(sum(sla_breaches_detected)::numeric / nullif(count(distinct date), 0), 2)
            as breaches_per_active_day
    from operator_days
    where days_ago < 7
    group by shop_domain, operator_id
)

select * from final
