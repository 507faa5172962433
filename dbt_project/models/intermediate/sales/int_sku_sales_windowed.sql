{#-
    Sales of each SKU in windows ending on the as-of local day of its shop (inclusive):
    7 and 30 local days, and the 30 days before those (for the trend). The velocity tier comes
    from seeds/velocity_tiers.csv through the `velocity_tier` macro.
-#}
with

daily as (
    select * from {{ ref('int_sku_daily_sales_aggregated') }}
),

shops as (
    select * from {{ ref('stg_shopify__shops') }}
),

as_of_days as (
    select
        shop_domain,
        {{ local_date(hotrod_as_of(), 'iana_timezone') }} as as_of_date
    from shops
),

windowed as (
    select
        daily.shop_domain,
        daily.sku,
        max(daily.product_id) as product_id,
        max(daily.variant_id) as variant_id,
        coalesce(sum(daily.units_sold) filter (
            where daily.local_date > as_of_days.as_of_date - 7 and daily.local_date <= as_of_days.as_of_date
        ), 0)::integer as units_sold_7d,
        coalesce(sum(daily.units_sold) filter (
            where daily.local_date > as_of_days.as_of_date - 30 and daily.local_date <= as_of_days.as_of_date
        ), 0)::integer as units_sold_30d,
        coalesce(sum(daily.revenue) filter (
            where daily.local_date > as_of_days.as_of_date - 30 and daily.local_date <= as_of_days.as_of_date
        ), 0)::numeric(14, 2) as revenue_30d,
        coalesce(sum(daily.orders) filter (
            where daily.local_date > as_of_days.as_of_date - 30 and daily.local_date <= as_of_days.as_of_date
        ), 0)::integer as orders_30d,
        coalesce(sum(daily.units_sold) filter (
            where daily.local_date > as_of_days.as_of_date - 60 and daily.local_date <= as_of_days.as_of_date - 30
        ), 0)::integer as units_sold_prev_30d,
        max(daily.last_sale_at) filter (where daily.local_date <= as_of_days.as_of_date) as last_sale_at
    from daily
    inner join as_of_days
        on daily.shop_domain = as_of_days.shop_domain
    group by daily.shop_domain, daily.sku
),

final as (
    select
        windowed.*,
        round(windowed.units_sold_30d / 30.0, 4) as avg_daily_sales,
        {{ velocity_tier('windowed.units_sold_30d') }} as velocity_tier,
        case
            when
                windowed.units_sold_30d >= windowed.units_sold_prev_30d * 1.2
                and windowed.units_sold_30d - windowed.units_sold_prev_30d >= 3
                then 'up'
            when
                windowed.units_sold_30d <= windowed.units_sold_prev_30d * 0.8
                and windowed.units_sold_prev_30d - windowed.units_sold_30d >= 3
                then 'down'
            else 'stable'
        end as trend_direction
    from windowed
)

select * from final
