with

shops as (
    select * from {{ ref('shop_timezones') }}
),

resolution as (
    select * from {{ ref('operator_sla_resolution') }}
),

window_rows as (
    select resolution.*
    from resolution
    inner join shops
        on resolution.shop_domain = shops.shop_domain
    where
        resolution.date > {{ views_local_today('shops.iana_timezone') }} - 30
        and resolution.date <= {{ views_local_today('shops.iana_timezone') }}
),

aggregated as (
    select
        shop_domain,
        operator_id,
        count(distinct date) as active_days,
        sum(sla_breaches_detected) as sla_breaches_detected,
        sum(sla_breaches_resolved) as sla_breaches_resolved,
        round(max(p95_response_time), 1) as worst_p95_response_time
    from window_rows
    group by shop_domain, operator_id
),

final as (
    select
        *,
        {{ views_pct('sla_breaches_resolved', 'sla_breaches_detected') }} as compliance_pct,
        case
            when sla_breaches_detected = 0 or sla_breaches_resolved >= 0.9 * sla_breaches_detected
                then 'meets_target'
            when sla_breaches_resolved >= 0.75 * sla_breaches_detected then 'at_risk'
            else 'below_target'
        end as compliance_status
    from aggregated
)

select * from final
