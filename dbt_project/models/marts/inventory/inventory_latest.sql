{#- The newest inventory snapshot of each shop: one row per SKU of its latest snapshot day. -#}

with

snapshots as (
    select * from {{ ref('inventory_snapshots') }}
),

latest_days as (
    select
        shop_domain,
        max(snapshot_date) as snapshot_date
    from snapshots
    group by shop_domain
),

final as (
    select snapshots.*
    from snapshots
    {{ join_each('snapshots', ['latest_days'], ['shop_domain', 'snapshot_date'], 'inner') }}
)

select * from final
