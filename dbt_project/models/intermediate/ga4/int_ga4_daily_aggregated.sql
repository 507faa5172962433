{#- One row per shop and GA4 day: the traffic report summed over channels, devices and pages. -#}

with

traffic as (
    select * from {{ ref('stg_ga4__traffic_daily') }}
),

final as (
    select
        shop_domain,
        report_date,
        sum(sessions) as sessions,
        sum(engaged_sessions) as engaged_sessions,
        sum(sessions) filter (where channel_group = 'Organic Search') as organic_sessions,
        sum(key_events) as key_events,
        sum(transactions) as transactions,
        sum(purchase_revenue) as purchase_revenue,
        round(100.0 * sum(transactions) / nullif(sum(sessions), 0), 2) as conversion_rate_pct,
        bool_or(is_thresholded or is_sampled) as is_estimated,
        max(extracted_at) as last_extracted_at
    from traffic
    group by shop_domain, report_date
)

select * from final
