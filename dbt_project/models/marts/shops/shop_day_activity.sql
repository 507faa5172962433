{#-
    The shop-day spine with each day's activity, zero on quiet days: counted orders and gross
    revenue (sales_metrics_daily) and Chatwoot conversations opened that local day.
-#}

with

shop_days as (
    select * from {{ ref('shop_days') }}
),

shops as (
    select * from {{ ref('shops') }}
),

daily as (
    select * from {{ ref('sales_metrics_daily') }}
),

conversations as (
    select * from {{ ref('cx_conversations') }}
),

conversations_per_day as (
    select
        conversations.shop_domain,
        {{ local_date('conversations.conversation_created_at', 'shops.iana_timezone') }} as date,
        count(*) as conversations,
        count(*) filter (where conversations.sentiment in ('negative', 'very_negative'))
            as negative_conversations
    from conversations
    {{ join_each('conversations', ['shops'], ['shop_domain'], 'inner') }}
    group by 1, 2
),

final as (
    select
        shop_days.shop_domain,
        shop_days.date,
        shop_days.days_ago,
        {{ coalesced('daily', ['total_revenue', 'total_orders']) }},
        {{ coalesced('conversations_per_day', ['conversations', 'negative_conversations']) }}
    from shop_days
    {{ join_each('shop_days', ['daily', 'conversations_per_day'], ['shop_domain', 'date']) }}
)

select * from final
