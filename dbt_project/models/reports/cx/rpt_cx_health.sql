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
    where
        conversation_created_at >= {{ hotrod_as_of() }} - interval '7 days'
        and conversation_created_at <= {{ hotrod_as_of() }}
),

aggregated as (
    select
        shop_domain,
        count(*) as total_conversations,
        count(*) filter (where status in ('open', 'pending')) as open_conversations,
        count(*) filter (where status in ('resolved', 'closed')) as resolved_conversations,
        round(avg(first_response_time_minutes), 1) as avg_first_response_minutes,
        percentile_cont(0.5) within group (order by first_response_time_minutes)
            as median_first_response_minutes,
        round(avg(resolution_time_hours), 2) as avg_resolution_hours,
        count(*) filter (where is_sla_breach) as sla_breaches,
        round(avg(first_response_business_minutes), 1) as avg_first_response_business_minutes,
        count(*) filter (where is_sla_breach_business_hours) as sla_breaches_business_hours,
        count(*) filter (where is_escalated) as escalations,
        count(*) filter (where sentiment = 'positive') as positive_conversations,
        count(*) filter (where sentiment = 'neutral') as neutral_conversations,
        count(*) filter (where sentiment = 'negative') as negative_conversations,
        count(*) filter (where sentiment = 'very_negative') as very_negative_conversations
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
        coalesce(aggregated.total_conversations, 0) as total_conversations,
        coalesce(aggregated.open_conversations, 0) as open_conversations,
        coalesce(aggregated.resolved_conversations, 0) as resolved_conversations,
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
        coalesce(aggregated.positive_conversations, 0) as positive_conversations,
        coalesce(aggregated.neutral_conversations, 0) as neutral_conversations,
        coalesce(aggregated.negative_conversations, 0) as negative_conversations,
        coalesce(aggregated.very_negative_conversations, 0) as very_negative_conversations,
        {{ views_pct('aggregated.positive_conversations', 'aggregated.total_conversations') }}
            as positive_sentiment_pct
    from shops
    left join aggregated
        on shops.shop_domain = aggregated.shop_domain
    left join open_breaches
        on shops.shop_domain = open_breaches.shop_domain
)

select * from final
