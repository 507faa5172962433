with

skus as (
    select * from {{ ref('sku_performance') }}
),

ranked_skus as (
    select
        shop_domain,
        sku,
        revenue_30d,
        units_sold_30d,
        orders_30d,
        row_number() over (
            partition by shop_domain order by revenue_30d desc, units_sold_30d desc, sku asc
        ) as revenue_rank
    from skus
    where revenue_30d > 0
),

final as (
    {{ ranked_list(
        'ranked_skus', 'revenue_rank', 5,
        ['sku', 'revenue_30d', 'units_sold_30d', 'orders_30d'],
        'top_products',
    ) }}
)

select * from final
