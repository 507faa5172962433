{#-
    GA4 traffic today so far against the same time last week (doc block `sessions_so_far`): for each
    shop, its as-of local day (days_ago 0) and the same weekday a week earlier (days_ago 7), the
    sessions and transactions of the complete hours before the as-of local time of day.
-#}

with

shops as (
    select * from {{ ref('shops') }}
),

sales_so_far as (
    select * from {{ ref('sales_so_far') }}
),

hourly as (
    select * from {{ ref('stg_ga4__traffic_hourly') }}
),

-- the days sales_so_far compares, cut at the hour its cutoff falls in
compared_days as (
    select
        sales_so_far.shop_domain,
        sales_so_far.date,
        sales_so_far.days_ago,
        extract(hour from sales_so_far.cutoff_at at time zone shops.iana_timezone)::integer as complete_hours
    from sales_so_far
    {{ join_each('sales_so_far', ['shops'], ['shop_domain'], 'inner') }}
),

final as (
    select
        compared_days.shop_domain,
        compared_days.date,
        compared_days.days_ago,
        compared_days.complete_hours,
        coalesce(sum(hourly.sessions), 0) as sessions_so_far,
        coalesce(sum(hourly.transactions), 0) as transactions_so_far,
        round(100.0 * sum(hourly.transactions) / nullif(sum(hourly.sessions), 0), 2) as conversion_rate_pct
    from compared_days
    left join hourly
        on
            compared_days.shop_domain = hourly.shop_domain
            and compared_days.date = hourly.report_date
            and compared_days.complete_hours > hourly.hour_of_day
    group by compared_days.shop_domain, compared_days.date, compared_days.days_ago, compared_days.complete_hours
)

select * from final
