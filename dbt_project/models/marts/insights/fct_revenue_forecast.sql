-- Method: trailing-28-day weekday-seasonal average. For each of the next 14 local days, the
-- forecast is the mean revenue of the same weekday over the last four completed weeks; the band
-- is mean +/- 1.96 standard deviations of those four observations (floored at 0).

with

history_revenue as (
    select
        shop_domain,
        date + days_ago as as_of_date,
        extract(isodow from date)::integer as weekday,
        total_revenue,
        total_orders
    from {{ ref('shop_day_activity') }}
    where days_ago between 1 and 28
),

weekday_profile as (
    select
        shop_domain,
        as_of_date,
        weekday,
        count(*) as observations,
        avg(total_revenue) as mean_revenue,
        coalesce(stddev_samp(total_revenue), 0) as stddev_revenue,
        avg(total_orders) as mean_orders
    from history_revenue
    group by shop_domain, as_of_date, weekday
),

horizon as (
    select
        weekday_profile.shop_domain,
        weekday_profile.as_of_date,
        step.days_ahead,
        weekday_profile.as_of_date + step.days_ahead as forecast_date
    from weekday_profile
    cross join generate_series(0, 13) as step (days_ahead)
    where extract(isodow from weekday_profile.as_of_date + step.days_ahead) = weekday_profile.weekday
),

final as (
    select
        horizon.shop_domain,
        horizon.as_of_date,
        horizon.forecast_date,
        horizon.days_ahead,
        round(weekday_profile.mean_revenue, 2) as forecast_revenue,
        round(greatest(weekday_profile.mean_revenue - 1.96 * weekday_profile.stddev_revenue, 0), 2)
            as forecast_revenue_lower,
        round(weekday_profile.mean_revenue + 1.96 * weekday_profile.stddev_revenue, 2) as forecast_revenue_upper,
        round(weekday_profile.mean_orders, 1) as forecast_orders,
        weekday_profile.observations,
        'trailing_28d_weekday_mean' as method
    from horizon
    inner join weekday_profile
        on
            horizon.shop_domain = weekday_profile.shop_domain
            and extract(isodow from horizon.forecast_date) = weekday_profile.weekday
)

select * from final
