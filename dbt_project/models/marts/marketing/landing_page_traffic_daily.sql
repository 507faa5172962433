{#- GA4 sessions per shop, local day, landing page and channel group (devices summed): the SEO pulse's base. -#}

with

traffic as (
    select * from {{ ref('stg_ga4__traffic_daily') }}
),

final as (
    select
        shop_domain,
        report_date as date,
        landing_page,
        channel_group,
        sum(sessions)::integer as sessions,
        sum(engaged_sessions)::integer as engaged_sessions,
        sum(transactions)::integer as transactions,
        sum(purchase_revenue)::numeric(14, 2) as purchase_revenue
    from traffic
    group by shop_domain, report_date, landing_page, channel_group
)

select * from final
