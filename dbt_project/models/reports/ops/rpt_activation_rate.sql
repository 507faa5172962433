with

activation as (
    select * from {{ ref('shop_activation_metrics') }}
),

shops as (
    select * from {{ ref('shop_timezones') }}
),

final as (
    select
        activation.shop_domain,
        activation.date,
        activation.total_shops,
        activation.shops_activated,
        activation.activation_rate_pct,
        activation.activation_rate_7d_avg
    from activation
    left join shops
        on activation.shop_domain = shops.shop_domain
    where
        activation.date > {{ views_local_today("coalesce(shops.iana_timezone, 'UTC')") }} - 7
        and activation.date <= {{ views_local_today("coalesce(shops.iana_timezone, 'UTC')") }}
)

select * from final
