{#- The operator 30-day base: each operator's days in the 30 local days ending on the shop's as-of day. -#}

with

resolution as (
    select * from {{ ref('operator_sla_resolution') }}
),

shop_days as (
    select * from {{ ref('shop_days') }}
),

final as (
    select
        resolution.shop_domain,
        resolution.operator_id,
        resolution.date,
        shop_days.days_ago,
        {{ qualified('resolution', [
            'sla_breaches_detected',
            'sla_breaches_resolved',
            'median_response_time',
            'p90_response_time',
            'p95_response_time',
        ]) }}
    from resolution
    {{ join_each('resolution', ['shop_days'], ['shop_domain', 'date'], 'inner') }}
    where shop_days.days_ago < 30
)

select * from final
