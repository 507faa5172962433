with

shops as (
    select * from {{ ref('shops') }}
),

sales as (
    select * from {{ ref('sales_metrics_daily') }}
),

inventory as (
    select * from {{ ref('inventory_latest') }}
),

customers as (
    select * from {{ ref('customer_segments') }}
),

conversations as (
    select * from {{ ref('cx_conversations') }}
),

fulfillment as (
    select * from {{ ref('fulfillment_tracking') }}
),

quarantined as (
    select * from {{ ref('fulfillment_quarantine') }}
),

skus as (
    select * from {{ ref('sku_performance') }}
),

sales_checks as (
    select
        sales.shop_domain,
        count(*) as total_rows,
        count(*) filter (
            where sales.total_orders > 0 and coalesce(sales.total_revenue, 0) <= 0
        ) as missing_revenue,
        count(*) filter (where sales.date > shops.as_of_date) as future_dates,
        count(*) filter (
            where sales.total_orders > 0
            and abs(sales.avg_order_value - sales.total_revenue / sales.total_orders) > 0.01
        ) as aov_mismatch,
        count(*) filter (
            where sales.fulfillment_rate_pct < 0 or sales.fulfillment_rate_pct > 100
        ) as fulfillment_rate_out_of_range,
        count(*) - count(distinct sales.date) as duplicate_days,
        count(*) filter (
            where sales.total_orders >= 20
            and sales.ga_transactions is not null
            and {{ within_last_days('sales.date', 28, 'shops.as_of_date - 1') }}
            and (
                sales.ga_transactions not between 0.70 * sales.total_orders and 1.10 * sales.total_orders
                or sales.ga_purchase_revenue not between 0.70 * sales.total_revenue and 1.10 * sales.total_revenue
            )
        ) as ga4_vs_shopify_mismatch
    from sales
    {{ join_each('sales', ['shops'], ['shop_domain'], 'inner') }}
    group by sales.shop_domain
),

inventory_checks as (
    select
        shop_domain,
        count(*) as total_rows,
        count(*) filter (where quantity_available < 0) as negative_inventory
    from inventory
    group by shop_domain
),

customer_checks as (
    select
        shop_domain,
        count(*) as total_rows,
        count(*) filter (where primary_segment is null) as missing_segment
    from customers
    group by shop_domain
),

conversation_checks as (
    select
        shop_domain,
        count(*) as total_rows,
        count(*) filter (
            where resolution_time_hours < 0 or first_response_time_minutes < 0
        ) as negative_resolution_time
    from conversations
    group by shop_domain
),

fulfillment_checks as (
    -- the orders quarantined out of the tile count as its failing rows (issue 17)
    select
        shop_domain,
        count(*) filter (where reason is null) as total_rows,
        count(*) filter (where reason = 'fulfilled_before_created') as fulfilled_before_created,
        count(*) filter (where reason = 'created_in_future') as orders_in_future
    from (
        select
            shop_domain,
            null as reason
        from fulfillment
        union all
        select
            shop_domain,
            reason
        from quarantined
    ) as fulfillment_rows
    group by shop_domain
),

sku_checks as (
    select
        shop_domain,
        count(*) as total_rows,
        count(*) filter (where sku is null or sku = '') as missing_sku
    from skus
    group by shop_domain
),

order_issues as (
    select * from {{ ref('int_orders_data_issues') }}
),

rejected_values as (
    select * from {{ ref('stg_shopify__rejected_values') }}
),

source_rejected_values as (
    select
        shop_domain,
        count(*) as rejected_values
    from {{ ref('stg_warehouse__rejected_values') }}
    group by shop_domain
),

staged_orders as (
    select
        shop_domain,
        count(*) as total_rows
    from {{ ref('stg_shopify__orders') }}
    group by shop_domain
),

-- bad values (issue 20): orders kept out of money figures, and raw values that did not parse
order_checks as (
    select
        staged_orders.shop_domain,
        staged_orders.total_rows,
        (
            select count(*) from rejected_values
            where rejected_values.shop_domain = staged_orders.shop_domain
        ) as rejected_values,
        count(distinct order_issues.order_id) filter (
            where order_issues.issue = 'currency_mismatch'
        ) as currency_mismatch,
        count(distinct order_issues.order_id) filter (
            where order_issues.issue in ('quantity_not_positive', 'quantity_absurd')
        ) as bad_quantities,
        count(distinct order_issues.order_id) filter (
            where order_issues.issue in ('missing_total', 'missing_created_at')
        ) as missing_totals
    from staged_orders
    {{ join_each('staged_orders', ['order_issues']) }}
    group by staged_orders.shop_domain, staged_orders.total_rows
),

checks as (
    select
        shops.shop_domain,
        check_list.check_id,
        check_list.check_name,
        check_list.table_name,
        check_list.severity,
        check_list.description,
        case check_list.check_name
            when 'missing_revenue' then sales_checks.missing_revenue
            when 'negative_inventory' then inventory_checks.negative_inventory
            when 'missing_segment' then customer_checks.missing_segment
            when 'future_dates' then sales_checks.future_dates
            when 'negative_resolution_time' then conversation_checks.negative_resolution_time
            when 'aov_mismatch' then sales_checks.aov_mismatch
            when 'fulfillment_rate_out_of_range' then sales_checks.fulfillment_rate_out_of_range
            when 'duplicate_daily_metrics' then sales_checks.duplicate_days
            when 'fulfilled_before_created' then fulfillment_checks.fulfilled_before_created
            when 'missing_sku' then sku_checks.missing_sku
            when 'orders_in_future' then fulfillment_checks.orders_in_future
            when 'rejected_values' then order_checks.rejected_values
            when 'currency_mismatch' then order_checks.currency_mismatch
            when 'bad_quantities' then order_checks.bad_quantities
            when 'missing_totals' then order_checks.missing_totals
            when 'ga4_vs_shopify_mismatch' then sales_checks.ga4_vs_shopify_mismatch
            when 'rejected_source_values' then source_rejected_values.rejected_values
        end as failing_rows,
        case check_list.table_name
            when 'sales_metrics_daily' then sales_checks.total_rows
            when 'inventory_snapshots' then inventory_checks.total_rows
            when 'customer_segments' then customer_checks.total_rows
            when 'cx_conversations' then conversation_checks.total_rows
            when 'fulfillment_tracking' then fulfillment_checks.total_rows
            when 'sku_performance' then sku_checks.total_rows
            when 'stg_shopify__orders' then order_checks.total_rows
        end as rows_checked
    from shops
    cross join (
        values
        (1, 'missing_revenue', 'sales_metrics_daily', 'critical', 'Days with orders but no revenue'),
        (2, 'negative_inventory', 'inventory_snapshots', 'critical', 'Latest snapshot with negative stock'),
        (3, 'missing_segment', 'customer_segments', 'high', 'Customers without a primary segment'),
        (4, 'future_dates', 'sales_metrics_daily', 'critical', 'Daily metrics dated after the shop''s local today'),
        (5, 'negative_resolution_time', 'cx_conversations', 'high', 'Negative response or resolution time'),
        (6, 'aov_mismatch', 'sales_metrics_daily', 'medium', 'AOV differs from revenue / orders by > 0.01'),
        (7, 'fulfillment_rate_out_of_range', 'sales_metrics_daily', 'medium', 'Fulfillment rate outside 0-100%'),
        (8, 'duplicate_daily_metrics', 'sales_metrics_daily', 'critical', 'More than one row per shop and day'),
        (9, 'fulfilled_before_created', 'fulfillment_tracking', 'high', 'Orders fulfilled before they were created'),
        (10, 'missing_sku', 'sku_performance', 'medium', 'SKU rows without a SKU code'),
        (11, 'orders_in_future', 'fulfillment_tracking', 'high', 'Orders created after the as-of time'),
        (12, 'rejected_values', 'stg_shopify__orders', 'high', 'Order values that did not parse (not counted)'),
        (13, 'currency_mismatch', 'stg_shopify__orders', 'high', 'Orders not in the shop currency (not counted)'),
        (14, 'bad_quantities', 'stg_shopify__orders', 'high', 'Orders with a bad line quantity (not counted)'),
        (15, 'missing_totals', 'stg_shopify__orders', 'high', 'Orders without a total or creation time (not counted)'),
        (
            16, 'ga4_vs_shopify_mismatch', 'sales_metrics_daily', 'medium',
            'Days (28, 20+ orders) where GA4 transactions or revenue are outside 0.70-1.10 x Shopify''s'
        ),
        (
            17, 'rejected_source_values', 'stg_warehouse__rejected_values', 'medium',
            'Customer, catalog, inventory, app, Chatwoot and GA4 values that did not parse (null in staging)'
        )
    ) as check_list (check_id, check_name, table_name, severity, description)
    {{ join_each(
        'shops',
        [
            'sales_checks',
            'inventory_checks',
            'customer_checks',
            'conversation_checks',
            'fulfillment_checks',
            'sku_checks',
            'order_checks',
            'source_rejected_values',
        ],
    ) }}
),

final as (
    select
        shop_domain,
        check_id,
        check_name,
        table_name,
        severity::vocab.severity as severity,
        description,
        coalesce(failing_rows, 0) as failing_rows,
        coalesce(rows_checked, 0) as rows_checked,
        (case when coalesce(failing_rows, 0) = 0 then 'pass' else 'fail' end)::vocab.check_status as status,
        {{ hotrod_as_of() }} as checked_at
    from checks
)

select * from final
