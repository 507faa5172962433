{{
    config(
        indexes=[{'columns': ['shop_domain'], 'unique': true}],
    )
}}

-- Method: Pearson correlation (Postgres corr()) over the last 90 completed local days between
-- daily support volume (conversations opened) and daily revenue / orders; also the support
-- load per 100 orders. |r| >= 0.5 is labelled strong, >= 0.3 moderate, else weak.

with

shops as (
    select * from {{ ref('shops') }}
),

shop_days as (
    select * from {{ ref('shop_days') }}
),

daily as (
    select * from {{ ref('sales_metrics_daily') }}
),

conversations as (
    select * from {{ ref('cx_conversations') }}
),

calendar as (
    select
        shop_domain,
        date as metric_date
    from shop_days
    where days_ago between 1 and 90
),

cx_daily as (
    select
        conversations.shop_domain,
        {{ local_date('conversations.conversation_created_at', 'shops.iana_timezone') }} as metric_date,
        count(*) as conversations,
        count(*) filter (where conversations.sentiment in ('negative', 'very_negative')) as negative_conversations
    from conversations
    inner join shops
        on conversations.shop_domain = shops.shop_domain
    group by conversations.shop_domain, metric_date
),

joined as (
    select
        calendar.shop_domain,
        calendar.metric_date,
        coalesce(daily.total_revenue, 0)::float8 as revenue,
        coalesce(daily.total_orders, 0)::float8 as orders,
        coalesce(cx_daily.conversations, 0)::float8 as conversations,
        coalesce(cx_daily.negative_conversations, 0)::float8 as negative_conversations
    from calendar
    left join daily
        on
            calendar.shop_domain = daily.shop_domain
            and calendar.metric_date = daily.date
    left join cx_daily
        on
            calendar.shop_domain = cx_daily.shop_domain
            and calendar.metric_date = cx_daily.metric_date
),

final as (
    select
        shop_domain,
        min(metric_date) as window_start,
        max(metric_date) as window_end,
        count(*) as days,
        sum(conversations)::bigint as conversations,
        sum(orders)::bigint as orders,
        round((100 * sum(conversations) / nullif(sum(orders), 0))::numeric, 2) as conversations_per_100_orders,
        round(corr(conversations, revenue)::numeric, 3) as corr_cx_volume_revenue,
        round(corr(conversations, orders)::numeric, 3) as corr_cx_volume_orders,
        round(corr(negative_conversations, revenue)::numeric, 3) as corr_negative_cx_revenue,
        case
            when abs(corr(conversations, orders)) >= 0.5 then 'strong'
            when abs(corr(conversations, orders)) >= 0.3 then 'moderate'
            else 'weak'
        end as cx_orders_relationship,
        'pearson_90d_daily' as method
    from joined
    group by shop_domain
)

select * from final
