{#- Platform activation (shop_domain 'platform', UTC days) over the last 7 days. -#}

with

activation as (
    select * from {{ ref('shop_activation_metrics') }}
),

final as (
    select
        shop_domain,
        date,
        total_shops,
        shops_activated,
        activation_rate_pct,
        activation_rate_7d_avg
    from activation
    where {{ within_last_days('date', 7, views_local_today("'UTC'")) }}
)

select * from final
