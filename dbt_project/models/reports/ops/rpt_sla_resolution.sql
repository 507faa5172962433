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
        {{ views_pct('sum(sla_breaches_resolved)', 'sum(sla_breaches_detected)') }} as resolution_rate_pct,
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
        and {{ within_trailing('conversation_created_at', 7) }}
    group by shop_domain
),

final as (
    select
        shops.shop_domain,
        {{ coalesced('breaches', ['operators', 'sla_breaches_detected', 'sla_breaches_resolved']) }},
        breaches.resolution_rate_pct,
        coalesce(responses.responded_conversations, 0) as responded_conversations,
        round(responses.median_response_time::numeric, 1) as median_response_time,
        round(responses.p90_response_time::numeric, 1) as p90_response_time,
        round(responses.p95_response_time::numeric, 1) as p95_response_time
    from shops
    {{ join_each('shops', ['breaches', 'responses']) }}
)

select * from final
