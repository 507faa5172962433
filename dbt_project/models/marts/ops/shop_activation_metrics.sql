{#-
    Platform-wide shop activation per UTC day (doc block `shop_activation`). The platform is not
    one shop, so shop_domain is the literal 'platform' on every row.
-#}

with

shops as (
    select * from {{ ref('stg_app__shops') }}
),

spine as (
    select day::date as date
    from generate_series(
        (select min(installed_at at time zone 'UTC')::date from shops),
        ({{ hotrod_as_of() }} at time zone 'UTC')::date,
        interval '1 day'
    ) as day
),

daily as (
    select
        spine.date,
        count(shops.shop_domain) filter (
            where
            shops.installed_at < spine.date + 1
            and (shops.uninstalled_at is null or shops.uninstalled_at >= spine.date + 1)
        ) as total_shops,
        count(shops.shop_domain) filter (
            where
            shops.installed_at < spine.date + 1
            and (shops.uninstalled_at is null or shops.uninstalled_at >= spine.date + 1)
            and shops.activated_at < spine.date + 1
        ) as shops_activated
    from spine
    cross join shops
    group by spine.date
),

rates as (
    select
        daily.*,
        round(100.0 * daily.shops_activated / nullif(daily.total_shops, 0), 2) as activation_rate_pct
    from daily
),

final as (
    select
        {{ typed_columns('rates', {
            'id': deterministic_uuid(["'platform'", "'activation_day'", 'rates.date']),
            'shop_domain': "'platform'",
            'activation_rate_7d_avg': 'round(avg(rates.activation_rate_pct) over ('
                ~ 'order by rates.date rows between 6 preceding and current row), 2)',
            'created_at': "'" ~ run_started_at ~ "'",
            'updated_at': "'" ~ run_started_at ~ "'",
        }) }}
    from rates
)

select * from final
