with

skus as (
    select * from {{ ref('sku_performance') }}
),

categories as (
    select * from {{ ref('product_categories') }}
),

sku_categories as (
    select
        skus.shop_domain,
        skus.sku,
        skus.shopify_product_id,
        skus.revenue_30d,
        skus.units_sold_30d,
        skus.orders_30d,
        skus.current_inventory,
        skus.is_trending,
        {{ coalesced('categories', ['category_l1', 'category_l2'], "'Uncategorized'") }},
        categories.margin_pct,
        {{ coalesced('categories', ['is_performance_part', 'is_restoration_part'], 'false') }}
    from skus
    {{ join_each('skus', ['categories'], ['shop_domain', 'shopify_product_id']) }}
),

aggregated as (
    select
        shop_domain,
        category_l1,
        category_l2,
        count(distinct shopify_product_id) as products,
        count(*) as skus,
        sum(revenue_30d) as revenue_30d,
        sum(units_sold_30d) as units_sold_30d,
        sum(orders_30d) as orders_30d,
        sum(current_inventory) as current_inventory,
        round(avg(margin_pct), 2) as avg_margin_pct,
        count(*) filter (where is_trending) as trending_skus,
        count(*) filter (where is_performance_part) as performance_skus,
        count(*) filter (where is_restoration_part) as restoration_skus
    from sku_categories
    group by shop_domain, category_l1, category_l2
),

final as (
    select
        *,
        round(revenue_30d / nullif(orders_30d, 0), 2) as revenue_per_order_30d,
        {{ views_pct('revenue_30d', 'sum(revenue_30d) over (partition by shop_domain)', 2) }}
            as revenue_share_pct,
        rank() over (partition by shop_domain order by revenue_30d desc) as revenue_rank
    from aggregated
)

select * from final
