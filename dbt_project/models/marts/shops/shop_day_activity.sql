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
    inner join shops
        on conversations.shop_domain = shops.shop_domain
    group by 1, 2
),

final as (
    select
        shop_days.shop_domain,
        shop_days.date,
        shop_days.days_ago,
        coalesce(daily.total_revenue, 0) as total_revenue,
        coalesce(daily.total_orders, 0) as total_orders,
        coalesce(conversations_per_day.conversations, 0) as conversations,
        coalesce(conversations_per_day.negative_conversations, 0) as negative_conversations
    from shop_days
    left join daily
        on
            shop_days.shop_domain = daily.shop_domain
            and shop_days.date = daily.date
    left join conversations_per_day
        on
            shop_days.shop_domain = conversations_per_day.shop_domain
            and shop_days.date = conversations_per_day.date
)

select * from final
