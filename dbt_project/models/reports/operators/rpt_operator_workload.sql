with

window_rows as (
    select * from {{ ref('rpt_operator_days_30d') }}
),

with_baseline as (
    select
        *,
        avg(sla_breaches_detected) over (partition by shop_domain) as shop_avg_breaches_per_operator_day,
        count(*) over (partition by shop_domain, date) as operators_on_day
    from window_rows
),

final as (
    select
        shop_domain,
        date,
        operator_id,
        sla_breaches_detected,
        sla_breaches_resolved,
        operators_on_day,
        round(
            100.0 * sla_breaches_detected / nullif(sum(sla_breaches_detected) over (partition by shop_domain, date), 0),
            1
        ) as share_of_day_pct,
        case
            when sla_breaches_detected > 1.5 * shop_avg_breaches_per_operator_day then 'heavy'
            when sla_breaches_detected < 0.5 * shop_avg_breaches_per_operator_day then 'light'
            else 'normal'
        end as workload_level
    from with_baseline
)

select * from final
