with

source as (
    select * from {{ source('raw_ga4', 'traffic_daily') }}
),

renamed as (
    select
        shop_domain,
        to_date(payload ->> 'date', 'YYYYMMDD') as report_date,
        payload ->> 'sessionDefaultChannelGroup' as channel_group,
        payload ->> 'deviceCategory' as device_category,
        payload ->> 'landingPage' as landing_page,
        (payload ->> 'sessions')::integer as sessions,
        (payload ->> 'engagedSessions')::integer as engaged_sessions,
        (payload ->> 'totalUsers')::integer as total_users,
        (payload ->> 'newUsers')::integer as new_users,
        (payload ->> 'keyEvents')::numeric as key_events,
        (payload ->> 'transactions')::integer as transactions,
        (payload ->> 'purchaseRevenue')::numeric(14, 2) as purchase_revenue,
        payload ->> 'property_id' as property_id,
        coalesce((payload ->> 'subject_to_thresholding')::boolean, false) as is_thresholded,
        coalesce((payload ->> 'sampled')::boolean, false) as is_sampled,
        extracted_at
    from source
)

select * from renamed
