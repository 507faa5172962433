{#-
    The checks, in check_id order: the table checked, the severity of a failure, what a failing
    row is, and the expression (over the per-table check CTEs below) that counts them.
-#}
{%- set quality_checks = [{
    'check_name': 'missing_revenue',
    'table_name': 'sales_metrics_daily',
    'severity': 'critical',
    'description': 'Days with orders but no revenue',
    'failing_rows': 'sales_checks.missing_revenue',
}, {
    'check_name': 'negative_inventory',
    'table_name': 'inventory_snapshots',
    'severity': 'critical',
    'description': 'Latest snapshot with negative stock',
    'failing_rows': 'inventory_checks.negative_inventory',
}, {
    'check_name': 'missing_segment',
    'table_name': 'customer_segments',
    'severity': 'high',
    'description': 'Customers without a primary segment',
    'failing_rows': 'customer_checks.missing_segment',
}, {
    'check_name': 'future_dates',
    'table_name': 'sales_metrics_daily',
    'severity': 'critical',
    'description': "Daily metrics dated after the shop's local today",
    'failing_rows': 'sales_checks.future_dates',
}, {
    'check_name': 'negative_resolution_time',
    'table_name': 'cx_conversations',
    'severity': 'high',
    'description': 'Negative response or resolution time',
    'failing_rows': 'conversation_checks.negative_resolution_time',
}, {
    'check_name': 'aov_mismatch',
    'table_name': 'sales_metrics_daily',
    'severity': 'medium',
    'description': 'AOV differs from revenue / orders by > 0.01',
    'failing_rows': 'sales_checks.aov_mismatch',
}, {
    'check_name': 'fulfillment_rate_out_of_range',
    'table_name': 'sales_metrics_daily',
    'severity': 'medium',
    'description': 'Fulfillment rate outside 0-100%',
    'failing_rows': 'sales_checks.fulfillment_rate_out_of_range',
}, {
    'check_name': 'duplicate_daily_metrics',
    'table_name': 'sales_metrics_daily',
    'severity': 'critical',
    'description': 'More than one row per shop and day',
    'failing_rows': 'sales_checks.duplicate_days',
}, {
    'check_name': 'fulfilled_before_created',
    'table_name': 'fulfillment_tracking',
    'severity': 'high',
    'description': 'Orders fulfilled before they were created',
    'failing_rows': 'fulfillment_checks.fulfilled_before_created',
}, {
    'check_name': 'missing_sku',
    'table_name': 'sku_performance',
    'severity': 'medium',
    'description': 'SKU rows without a SKU code',
    'failing_rows': 'sku_checks.missing_sku',
}, {
    'check_name': 'orders_in_future',
    'table_name': 'fulfillment_tracking',
    'severity': 'high',
    'description': 'Orders created after the as-of time',
    'failing_rows': 'fulfillment_checks.orders_in_future',
}, {
    'check_name': 'rejected_values',
    'table_name': 'stg_shopify__orders',
    'severity': 'high',
    'description': 'Order values that did not parse (not counted)',
    'failing_rows': 'order_checks.rejected_values',
}, {
    'check_name': 'currency_mismatch',
    'table_name': 'stg_shopify__orders',
    'severity': 'high',
    'description': 'Orders not in the shop currency (not counted)',
    'failing_rows': 'order_checks.currency_mismatch',
}, {
    'check_name': 'bad_quantities',
    'table_name': 'stg_shopify__orders',
    'severity': 'high',
    'description': 'Orders with a bad line quantity (not counted)',
    'failing_rows': 'order_checks.bad_quantities',
}, {
    'check_name': 'missing_totals',
    'table_name': 'stg_shopify__orders',
    'severity': 'high',
    'description': 'Orders without a total or creation time (not counted)',
    'failing_rows': 'order_checks.missing_totals',
}, {
    'check_name': 'ga4_vs_shopify_mismatch',
    'table_name': 'sales_metrics_daily',
    'severity': 'medium',
    'description': "Days (28, 20+ orders) where GA4 transactions or revenue are outside 0.70-1.10 x Shopify's",
    'failing_rows': 'sales_checks.ga4_vs_shopify_mismatch',
}, {
    'check_name': 'rejected_source_values',
    'table_name': 'stg_warehouse__rejected_values',
    'severity': 'medium',
    'description': 'Customer, catalog, inventory, app, Chatwoot and GA4 values that did not parse (null in staging)',
    'failing_rows': 'source_rejected_values.rejected_values',
}] %}

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
            {%- for check in quality_checks %}
                when '{{ check.check_name }}' then {{ check.failing_rows }}
            {%- endfor %}
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
        {%- for check in quality_checks %}
            (
                {{ loop.index }}, '{{ check.check_name }}', '{{ check.table_name }}', '{{ check.severity }}',
                '{{ check.description | replace("'", "''") }}'
            ){{ ',' if not loop.last }}
        {%- endfor %}
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
