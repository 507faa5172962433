-- Method: Pearson correlation (Postgres corr()) over the last 90 completed local days between
-- daily support volume (conversations opened) and daily revenue / orders; also the support
-- load per 100 orders. |r| >= 0.5 is labelled strong, >= 0.3 moderate, else weak.

with

joined as (
    select
        shop_domain,
        date as metric_date,
        total_revenue::float8 as revenue,
        total_orders::float8 as orders,
        conversations::float8 as conversations,
        negative_conversations::float8 as negative_conversations
    from {{ ref('shop_day_activity') }}
    where days_ago between 1 and 90
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
