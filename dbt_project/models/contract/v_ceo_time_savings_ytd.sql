with

shops as (
    select * from {{ ref('shop_timezones') }}
),

savings as (
    select * from {{ ref('ceo_time_savings') }}
),

window_rows as (
    select savings.*
    from savings
    inner join shops
        on savings.shop_domain = shops.shop_domain
    where
        savings.date >= date_trunc('year', {{ views_local_today('shops.iana_timezone') }})
        and savings.date <= {{ views_local_today('shops.iana_timezone') }}
),

aggregated as (
    select
        shop_domain,
        min(date) as first_entry_date,
        max(date) as last_entry_date,
        count(*) as days_with_entries,
        sum(time_saved_order_processing) as minutes_order_processing,
        sum(time_saved_inventory_checks) as minutes_inventory_checks,
        sum(time_saved_customer_support) as minutes_customer_support,
        sum(time_saved_manual_reporting) as minutes_manual_reporting,
        sum(time_saved_data_entry) as minutes_data_entry,
        sum(automation_actions_count) as automation_actions,
        sum(manual_actions_avoided) as manual_actions_avoided
    from window_rows
    group by shop_domain
),

final as (
    select
        shop_domain,
        first_entry_date,
        last_entry_date,
        days_with_entries,
        minutes_order_processing,
        minutes_inventory_checks,
        minutes_customer_support,
        minutes_manual_reporting,
        minutes_data_entry,
        minutes_order_processing + minutes_inventory_checks + minutes_customer_support
        + minutes_manual_reporting + minutes_data_entry as total_minutes_saved,
        round(
            (
                minutes_order_processing + minutes_inventory_checks + minutes_customer_support
                + minutes_manual_reporting + minutes_data_entry
            ) / 60.0,
            1
        ) as total_hours_saved,
        round(
            (
                minutes_order_processing + minutes_inventory_checks + minutes_customer_support
                + minutes_manual_reporting + minutes_data_entry
            ) / 60.0 / nullif(days_with_entries, 0),
            2
        ) as avg_hours_saved_per_day,
        automation_actions,
        manual_actions_avoided
    from aggregated
)

select * from final
