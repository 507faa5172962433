with

customers as (
    select * from {{ ref('customer_segments') }}
),

categories as (
    select * from {{ ref('product_categories') }}
),

fulfillment as (
    select * from {{ ref('fulfillment_tracking') }}
),

conversations as (
    select * from {{ ref('cx_conversations') }}
),

skus as (
    select * from {{ ref('sku_performance') }}
),

counts as (
    select
        shop_domain,
        'customer_segments' as table_name,
        'primary_segment' as column_name,
        count(*) as total_rows,
        count(primary_segment) as non_null_rows
    from customers
    group by shop_domain

    union all

    select
        shop_domain,
        'customer_segments' as table_name,
        'primary_vehicle_make' as column_name,
        count(*) as total_rows,
        count(primary_vehicle_make) as non_null_rows
    from customers
    group by shop_domain

    union all

    select
        shop_domain,
        'product_categories' as table_name,
        'category_l1' as column_name,
        count(*) as total_rows,
        count(category_l1) as non_null_rows
    from categories
    group by shop_domain

    union all

    select
        shop_domain,
        'product_categories' as table_name,
        'margin_pct' as column_name,
        count(*) as total_rows,
        count(margin_pct) as non_null_rows
    from categories
    group by shop_domain

    union all

    select
        shop_domain,
        'fulfillment_tracking' as table_name,
        'customer_segment' as column_name,
        count(*) as total_rows,
        count(customer_segment) as non_null_rows
    from fulfillment
    group by shop_domain

    union all

    select
        shop_domain,
        'cx_conversations' as table_name,
        'sentiment' as column_name,
        count(*) as total_rows,
        count(sentiment) as non_null_rows
    from conversations
    group by shop_domain

    union all

    select
        shop_domain,
        'cx_conversations' as table_name,
        'shopify_order_id' as column_name,
        count(*) as total_rows,
        count(shopify_order_id) as non_null_rows
    from conversations
    group by shop_domain

    union all

    select
        shop_domain,
        'sku_performance' as table_name,
        'sku' as column_name,
        count(*) as total_rows,
        count(nullif(sku, '')) as non_null_rows
    from skus
    group by shop_domain
),

final as (
    select
        shop_domain,
        table_name,
        column_name,
        total_rows,
        non_null_rows,
        total_rows - non_null_rows as missing_rows,
        {{ views_pct('non_null_rows', 'total_rows', 2) }} as completeness_pct
    from counts
)

select * from final
