with

conversations as (
    select * from {{ ref('cx_conversations') }}
),

shops as (
    select * from {{ ref('shops') }}
),

window_conversations as (
    select *
    from conversations
    where {{ within_trailing('conversation_created_at', 7) }}
),

aggregated as (
    select
        shop_domain,
        count(*) as total_conversations,
        {{ counts_where({
            'open_conversations': "status in ('open', 'pending')",
            'resolved_conversations': "status in ('resolved', 'closed')",
            'sla_breaches': 'is_sla_breach',
            'sla_breaches_business_hours': 'is_sla_breach_business_hours',
            'escalations': 'is_escalated',
        }) }},
        {{ counts_by('sentiment', ['positive', 'neutral', 'negative', 'very_negative'], suffix='_conversations') }},
        round(avg(first_response_time_minutes), 1) as avg_first_response_minutes,
        percentile_cont(0.5) within group (order by first_response_time_minutes)
            as median_first_response_minutes,
        round(avg(resolution_time_hours), 2) as avg_resolution_hours,
        round(avg(first_response_business_minutes), 1) as avg_first_response_business_minutes
    from window_conversations
    group by shop_domain
),

open_breaches as (
    select
        shop_domain,
        count(*) as open_sla_breaches
    from conversations
    where is_sla_breach and status in ('open', 'pending')
    group by shop_domain
),

final as (
    select
        shops.shop_domain,
        ({{ hotrod_as_of() }} - interval '7 days') as window_start,
        {{ hotrod_as_of() }} as window_end,
        {{ coalesced('aggregated', ['total_conversations', 'open_conversations', 'resolved_conversations']) }},
        aggregated.avg_first_response_minutes,
        aggregated.median_first_response_minutes,
        aggregated.avg_resolution_hours,
        coalesce(aggregated.sla_breaches, 0) as sla_breaches,
        {{ views_pct('aggregated.sla_breaches', 'aggregated.total_conversations') }} as sla_breach_rate_pct,
        aggregated.avg_first_response_business_minutes,
        coalesce(aggregated.sla_breaches_business_hours, 0) as sla_breaches_business_hours,
        coalesce(open_breaches.open_sla_breaches, 0) as open_sla_breaches,
        coalesce(aggregated.escalations, 0) as escalations,
        {{ views_pct('aggregated.escalations', 'aggregated.total_conversations') }} as escalation_rate_pct,
        {{ coalesced(
            'aggregated',
            [
                'positive_conversations',
                'neutral_conversations',
                'negative_conversations',
                'very_negative_conversations',
            ],
        ) }},
        {{ views_pct('aggregated.positive_conversations', 'aggregated.total_conversations') }}
            as positive_sentiment_pct
    from shops
    {{ join_each('shops', ['aggregated', 'open_breaches']) }}
)

select * from final
