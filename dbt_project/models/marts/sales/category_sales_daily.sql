with

sku_sales as (
    select * from {{ ref('int_sku_daily_sales_aggregated') }}
),

categories as (
    select * from {{ ref('product_categories') }}
),

final as (
    select
        sku_sales.shop_domain,
        sku_sales.local_date as sales_date,
        {{ coalesced('categories', ['category_l1', 'category_l2'], "'Uncategorized'") }},
        count(distinct sku_sales.sku) as skus_sold,
        sum(sku_sales.units_sold) as units_sold,
        sum(sku_sales.revenue) as revenue,
        sum(sku_sales.orders) as sku_orders
    from sku_sales
    {{ join_each('sku_sales', ['categories'], ['shop_domain', ['product_id', 'shopify_product_id']]) }}
    group by 1, 2, 3, 4
)

select * from final
