with

source as (
    select * from {{ source('raw_ga4', 'traffic_hourly') }}
),

renamed as (
    select
        shop_domain,
        {{ yyyymmdd_to_date("left(payload ->> 'dateHour', 8)") }} as report_date,
        {{ yyyymmddhh_to_hour("payload ->> 'dateHour'") }} as hour_of_day,
        {{ cast_or_null("payload ->> 'sessions'", 'integer') }} as sessions,
        {{ cast_or_null("payload ->> 'transactions'", 'integer') }} as transactions,
        {{ cast_or_null("payload ->> 'purchaseRevenue'", money_type()) }} as purchase_revenue,
        extracted_at
    from source
    where {{ value_is_valid("payload ->> 'dateHour'", 'yyyymmddhh') }}  -- no usable hour: listed as rejected
)

select * from renamed
