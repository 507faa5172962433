with

source as (
    select * from {{ source('raw_ga4', 'traffic_daily') }}
),

renamed as (
    select
        shop_domain,
        {{ yyyymmdd_to_date("payload ->> 'date'") }} as report_date,
        payload ->> 'sessionDefaultChannelGroup' as channel_group,
        payload ->> 'deviceCategory' as device_category,
        payload ->> 'landingPage' as landing_page,
        {{ cast_or_null("payload ->> 'sessions'", 'integer') }} as sessions,
        {{ cast_or_null("payload ->> 'engagedSessions'", 'integer') }} as engaged_sessions,
        {{ cast_or_null("payload ->> 'totalUsers'", 'integer') }} as total_users,
        {{ cast_or_null("payload ->> 'newUsers'", 'integer') }} as new_users,
        {{ cast_or_null("payload ->> 'keyEvents'", 'numeric') }} as key_events,
        {{ cast_or_null("payload ->> 'transactions'", 'integer') }} as transactions,
        {{ cast_or_null("payload ->> 'purchaseRevenue'", money_type()) }} as purchase_revenue,
        payload ->> 'property_id' as property_id,
        coalesce({{ cast_or_null("payload ->> 'subject_to_thresholding'", 'boolean') }}, false) as is_thresholded,
        coalesce({{ cast_or_null("payload ->> 'sampled'", 'boolean') }}, false) as is_sampled,
        extracted_at
    from source
    where {{ value_is_valid("payload ->> 'date'", 'yyyymmdd') }}  -- no usable day: listed as rejected
)

select * from renamed
