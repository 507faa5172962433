{#- The operator 30-day base: each operator's days in the 30 local days ending on the shop's as-of day. -#}

with

resolution as (
    select * from {{ ref('operator_sla_resolution') }}
),

shops as (
    select * from {{ ref('shops') }}
),

final as (
    select
        resolution.shop_domain,
        resolution.operator_id,
        resolution.date,
        shops.as_of_date - resolution.date as days_ago,
        resolution.sla_breaches_detected,
        resolution.sla_breaches_resolved,
        resolution.median_response_time,
        resolution.p90_response_time,
        resolution.p95_response_time
    from resolution
    inner join shops
        on resolution.shop_domain = shops.shop_domain
    where {{ within_last_days('resolution.date', 30) }}
)

select * from final
