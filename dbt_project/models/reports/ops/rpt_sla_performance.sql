{{
    config(
        indexes=[{'columns': ['shop_domain', 'operator_id'], 'unique': true}],
    )
}}

with

resolution as (
    select * from {{ ref('operator_sla_resolution') }}
),

shops as (
    select * from {{ ref('shop_timezones') }}
),

window_rows as (
    select resolution.*
    from resolution
    inner join shops
        on resolution.shop_domain = shops.shop_domain
    where
        resolution.date > {{ views_local_today('shops.iana_timezone') }} - 7
        and resolution.date <= {{ views_local_today('shops.iana_timezone') }}
),

final as (
    select
        shop_domain,
        operator_id,
        count(distinct date) as active_days,
        sum(sla_breaches_detected) as sla_breaches_detected,
        sum(sla_breaches_resolved) as sla_breaches_resolved,
        {{ views_pct('sum(sla_breaches_resolved)', 'sum(sla_breaches_detected)') }} as resolution_rate_pct,
        round(avg(median_response_time), 1) as avg_median_response_time,
        round(max(p90_response_time), 1) as max_p90_response_time,
        round(max(p95_response_time), 1) as max_p95_response_time
    from window_rows
    group by shop_domain, operator_id
)

select * from final
