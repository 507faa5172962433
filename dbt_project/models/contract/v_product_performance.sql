with

precomputed as (
    select * from {{ ref('pre_product_performance') }}
),

final as (
    select
        shop_domain,
        category_l1,
        category_l2,
        products,
        skus,
        revenue_30d,
        units_sold_30d,
        orders_30d,
        current_inventory,
        avg_margin_pct,
        trending_skus,
        performance_skus,
        restoration_skus,
        revenue_per_order_30d,
        revenue_share_pct,
        revenue_rank
    from precomputed
)

select * from final
