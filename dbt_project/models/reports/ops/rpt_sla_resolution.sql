with

operator_days as (
    select * from {{ ref('rpt_operator_days_30d') }}
),

conversations as (
    select * from {{ ref('cx_conversations') }}
),

shops as (
    select * from {{ ref('shops') }}
),

breaches as (
    select
        shop_domain,
        sum(sla_breaches_detected) as sla_breaches_detected,
        sum(sla_breaches_resolved) as sla_breaches_resolved,
        count(distinct operator_id) as operators
    from operator_days
    where days_ago < 7
    group by shop_domain
),

responses as (
    select
        shop_domain,
        count(*) as responded_conversations,
        percentile_cont(0.5) within group (order by first_response_time_minutes) as median_response_time,
        percentile_cont(0.9) within group (order by first_response_time_minutes) as p90_response_time,
        percentile_cont(0.95) within group (order by first_response_time_minutes) as p95_response_time
    from conversations
    where
        first_response_time_minutes is not null
        and conversation_created_at >= {{ hotrod_as_of() }} - interval '7 days'
        and conversation_created_at <= {{ hotrod_as_of() }}
    group by shop_domain
),

final as (
    select
        shops.shop_domain,
        coalesce(breaches.operators, 0) as operators,
        coalesce(breaches.sla_breaches_detected, 0) as sla_breaches_detected,
        coalesce(breaches.sla_breaches_resolved, 0) as sla_breaches_resolved,
        {{ views_pct('breaches.sla_breaches_resolved', 'breaches.sla_breaches_detected') }}
            as resolution_rate_pct,
        coalesce(responses.responded_conversations, 0) as responded_conversations,
        round(responses.median_response_time::numeric, 1) as median_response_time,
        round(responses.p90_response_time::numeric, 1) as p90_response_time,
        round(responses.p95_response_time::numeric, 1) as p95_response_time
    from shops
    left join breaches
        on shops.shop_domain = breaches.shop_domain
    left join responses
        on shops.shop_domain = responses.shop_domain
)

select * from final
