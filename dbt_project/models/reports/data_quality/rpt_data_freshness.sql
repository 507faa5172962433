with

shops as (
    select * from {{ ref('shop_timezones') }}
),

latest as (
    select
        shop_domain,
        'sales_metrics_daily' as table_name,
        max(date) as latest_data_date
    from {{ ref('sales_metrics_daily') }}
    group by shop_domain

    union all

    select
        shop_domain,
        'inventory_snapshots' as table_name,
        max(snapshot_date) as latest_data_date
    from {{ ref('inventory_snapshots') }}
    group by shop_domain

    union all

    select
        shop_domain,
        'fulfillment_tracking' as table_name,
        max(order_created_at)::date as latest_data_date
    from {{ ref('fulfillment_tracking') }}
    group by shop_domain

    union all

    select
        shop_domain,
        'cx_conversations' as table_name,
        max(conversation_created_at)::date as latest_data_date
    from {{ ref('cx_conversations') }}
    group by shop_domain

    union all

    select
        shop_domain,
        'operator_sla_resolution' as table_name,
        max(date) as latest_data_date
    from {{ ref('operator_sla_resolution') }}
    group by shop_domain

    union all

    select
        shop_domain,
        'ceo_time_savings' as table_name,
        max(date) as latest_data_date
    from {{ ref('ceo_time_savings') }}
    group by shop_domain

    union all

    select
        shop_domain,
        'shop_activation_metrics' as table_name,
        max(date) as latest_data_date
    from {{ ref('shop_activation_metrics') }}
    group by shop_domain
),

final as (
    select
        latest.shop_domain,
        latest.table_name,
        latest.latest_data_date,
        {{ views_local_today('shops.iana_timezone') }} as as_of_date,
        {{ views_local_today('shops.iana_timezone') }} - latest.latest_data_date as days_behind,
        case
            when {{ views_local_today('shops.iana_timezone') }} - latest.latest_data_date <= 1 then 'fresh'
            when {{ views_local_today('shops.iana_timezone') }} - latest.latest_data_date <= 3 then 'stale'
            else 'critical'
        end as freshness_status
    from latest
    inner join shops
        on latest.shop_domain = shops.shop_domain
)

select * from final
