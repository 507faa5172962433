with

source as (
    select * from {{ source('raw_ga4', 'traffic_hourly') }}
),

renamed as (
    select
        shop_domain,
        to_date(left(payload ->> 'dateHour', 8), 'YYYYMMDD') as report_date,
        right(payload ->> 'dateHour', 2)::integer as hour_of_day,
        (payload ->> 'sessions')::integer as sessions,
        (payload ->> 'transactions')::integer as transactions,
        (payload ->> 'purchaseRevenue')::numeric(14, 2) as purchase_revenue,
        extracted_at
    from source
)

select * from renamed
