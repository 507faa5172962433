with

precomputed as (
    select * from {{ ref('tile_activation_rate') }}
),

final as (
    select
        shop_domain,
        date,
        total_shops,
        shops_activated,
        activation_rate_pct,
        activation_rate_7d_avg
    from precomputed
)

select * from final
