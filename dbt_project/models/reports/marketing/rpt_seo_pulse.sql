{#-
    SEO pulse (doc block `seo_pulse`), one row per shop: organic sessions of the last 28 complete
    local days against the 28 before, the top organic landing pages, and content gaps (active
    product pages with stock and no organic session in the 30 local days ending today).
-#}

with

{{ import_ctes(shops='shops', traffic='landing_page_traffic_daily', pages='product_pages') }},

windowed as (
    select
        traffic.*,
        traffic.channel_group = 'Organic Search' as is_organic,
        {{ within_last_days('traffic.date', 28, 'shops.as_of_date - 1') }} as in_last_28d,
        {{ within_last_days('traffic.date', 28, 'shops.as_of_date - 29') }} as in_prev_28d,
        {{ within_last_days('traffic.date', 30) }} as in_last_30d
    from traffic
    {{ join_each('traffic', ['shops'], ['shop_domain'], 'inner') }}
),

totals as (
    select
        shop_domain,
        max(date) as last_traffic_date,
        coalesce(sum(sessions) filter (where is_organic and in_last_28d), 0) as organic_sessions_28d,
        coalesce(sum(sessions) filter (where is_organic and in_prev_28d), 0) as organic_sessions_prev_28d,
        coalesce(sum(sessions) filter (where in_last_28d), 0) as sessions_28d,
        coalesce(sum(transactions) filter (where is_organic and in_last_28d), 0) as organic_transactions_28d,
        bool_or(in_last_30d) as has_recent_traffic
    from windowed
    group by shop_domain
),

page_ranks as (
    select
        shop_domain,
        landing_page,
        sum(sessions) as sessions,
        sum(transactions) as transactions,
        sum(purchase_revenue) as purchase_revenue,
        row_number() over (
            partition by shop_domain order by sum(sessions) desc, landing_page asc
        ) as page_rank
    from windowed
    where is_organic and in_last_28d
    group by shop_domain, landing_page
),

top_pages as (
    {{ ranked_list(
        'page_ranks', 'page_rank', 10,
        ['landing_page', 'sessions', 'transactions', 'purchase_revenue'],
        'top_landing_pages',
    ) }}
),

organic_pages as (
    select distinct
        shop_domain,
        landing_page
    from windowed
    where is_organic and in_last_30d and sessions > 0
),

gaps as (
    select
        pages.shop_domain,
        pages.handle,
        pages.product_title,
        pages.quantity_available,
        row_number() over (
            partition by pages.shop_domain order by pages.quantity_available desc, pages.handle asc
        ) as gap_rank
    from pages
    {{ join_each('pages', ['organic_pages'], ['shop_domain', 'landing_page']) }}
    where pages.quantity_available > 0 and organic_pages.landing_page is null
),

gap_lists as (
    select
        shop_domain,
        count(*) as content_gap_count,
        {{ json_list(
            [['rank', 'gap_rank'], 'handle', 'product_title', 'quantity_available'],
            'gap_rank',
        ) }} filter (where gap_rank <= 20) as content_gaps
    from gaps
    group by shop_domain
),

final as (
    select
        shops.shop_domain,
        shops.as_of_date as "current_date",
        totals.last_traffic_date,
        {{ coalesced('totals', ['organic_sessions_28d', 'organic_sessions_prev_28d']) }},
        {{ views_pct(
            'totals.organic_sessions_28d - totals.organic_sessions_prev_28d',
            'totals.organic_sessions_prev_28d',
            2,
        ) }} as organic_sessions_vs_prev_28d_pct,
        case
            when coalesce(totals.organic_sessions_prev_28d, 0) = 0 then null
            when totals.organic_sessions_28d >= 1.1 * totals.organic_sessions_prev_28d then 'rising'
            when totals.organic_sessions_28d <= 0.9 * totals.organic_sessions_prev_28d then 'falling'
            else 'steady'
        end as organic_trend,
        {{ views_pct('totals.organic_sessions_28d', 'totals.sessions_28d', 2) }} as organic_share_pct,
        coalesce(totals.organic_transactions_28d, 0) as organic_transactions_28d,
        coalesce(top_pages.top_landing_pages, '[]'::jsonb) as top_landing_pages,
        case when totals.has_recent_traffic then coalesce(gap_lists.content_gap_count, 0) end
            as content_gap_count,
        case when totals.has_recent_traffic then coalesce(gap_lists.content_gaps, '[]'::jsonb) end
            as content_gaps
    from shops
    {{ join_each('shops', ['totals', 'top_pages', 'gap_lists']) }}
)

select * from final
