{#- CEO time saved per shop over two windows: the last 30 local days and the year to date. -#}

with

{{ import_ctes(shops='shops', savings='ceo_time_savings') }},

in_window as (
    select
        savings.*,
        periods.savings_window
    from savings
    {{ join_each('savings', ['shops'], ['shop_domain'], 'inner') }}
    cross join (values ('30d'), ('ytd')) as periods (savings_window)
    where
        savings.date <= shops.as_of_date
        and (
            (periods.savings_window = '30d' and savings.date > shops.as_of_date - 30)
            or (periods.savings_window = 'ytd' and savings.date >= date_trunc('year', shops.as_of_date))
        )
),

aggregated as (
    select
        shop_domain,
        savings_window,
        min(date) as first_entry_date,
        max(date) as last_entry_date,
        count(*) as days_with_entries,
        {{ aggregates('sum', {
            'minutes_order_processing': 'time_saved_order_processing',
            'minutes_inventory_checks': 'time_saved_inventory_checks',
            'minutes_customer_support': 'time_saved_customer_support',
            'minutes_manual_reporting': 'time_saved_manual_reporting',
            'minutes_data_entry': 'time_saved_data_entry',
            'automation_actions': 'automation_actions_count',
            'manual_actions_avoided': 'manual_actions_avoided',
        }) }}
    from in_window
    group by shop_domain, savings_window
),

final as (
    select
        shop_domain,
        savings_window,
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
