with

window_rows as (
    select * from {{ ref('rpt_operator_days_30d') }}
),

rolling as (
    select
        *,
        avg(median_response_time) over last_7_days as median_response_time_7d_avg,
        sum(sla_breaches_resolved) over last_7_days as sla_breaches_resolved_7d,
        sum(sla_breaches_detected) over last_7_days as sla_breaches_detected_7d
    from window_rows
    window last_7_days as (
        partition by shop_domain, operator_id
        order by date
        range between interval '6 days' preceding and current row
    )
),

final as (
    select
        shop_domain,
        operator_id,
        date,
        sla_breaches_detected,
        sla_breaches_resolved,
        {{ views_pct('sla_breaches_resolved', 'sla_breaches_detected') }} as resolution_rate_pct,
        median_response_time,
        p90_response_time,
        p95_response_time,
        round(median_response_time_7d_avg, 1) as median_response_time_7d_avg,
        {{ views_pct('sla_breaches_resolved_7d', 'sla_breaches_detected_7d') }} as resolution_rate_7d_pct
    from rolling
)

select * from final
