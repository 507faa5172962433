with

activation as (
    select * from {{ ref('rpt_activation_rate') }}
),

sla as (
    select * from {{ ref('rpt_sla_resolution') }}
),

fulfillment as (
    select * from {{ ref('rpt_fulfillment_health') }}
),

cx as (
    select * from {{ ref('rpt_cx_health') }}
),

latest_activation as (
    select distinct on (shop_domain)
        shop_domain,
        date as activation_date,
        total_shops,
        shops_activated,
        activation_rate_pct,
        activation_rate_7d_avg
    from activation
    order by shop_domain asc, date desc
),

final as (
    select
        sla.shop_domain,
        latest_activation.activation_date,
        latest_activation.total_shops,
        latest_activation.shops_activated,
        latest_activation.activation_rate_pct,
        latest_activation.activation_rate_7d_avg,
        sla.sla_breaches_detected as sla_breaches_detected_7d,
        sla.sla_breaches_resolved as sla_breaches_resolved_7d,
        sla.resolution_rate_pct as sla_resolution_rate_7d_pct,
        sla.median_response_time as median_response_time_7d,
        sla.p90_response_time as p90_response_time_7d,
        sla.p95_response_time as p95_response_time_7d,
        fulfillment.open_sla_breaches as open_fulfillment_sla_breaches,
        cx.open_sla_breaches as open_cx_sla_breaches,
        cx.escalations as cx_escalations_7d
    from sla
    -- activation is platform-wide (shop_domain 'platform'): every shop's tile shows it
    left join latest_activation
        on latest_activation.shop_domain in (sla.shop_domain, 'platform')
    {{ join_each('sla', ['fulfillment', 'cx']) }}
)

select * from final
