{#-
    The shop-day spine: one row per shop and local calendar day, from 400 days before the shop's
    as-of local day up to that day. Reports join facts to it so days without activity still show.
-#}

with

shops as (
    select * from {{ ref('shops') }}
),

final as (
    select
        shops.shop_domain,
        spine.day::date as date,
        shops.as_of_date - spine.day::date as days_ago,
        date_trunc('week', spine.day)::date as week_start,
        date_trunc('month', spine.day)::date as month_start
    from shops
    cross join lateral generate_series(
        shops.as_of_date - {{ var('shop_days_history', 400) }},
        shops.as_of_date,
        interval '1 day'
    ) as spine (day)
)

select * from final
