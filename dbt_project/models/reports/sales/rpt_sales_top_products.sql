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
    select
        shop_domain,
        jsonb_agg(
            jsonb_build_object(
                'rank', revenue_rank,
                'sku', sku,
                'revenue_30d', revenue_30d,
                'units_sold_30d', units_sold_30d,
                'orders_30d', orders_30d
            )
            order by revenue_rank
        ) as top_products
    from ranked_skus
    where revenue_rank <= 5
    group by shop_domain
)

select * from final
