{#- One row per shop and entry day: the CEO's manual entries of time saved, summed. -#}

with

entries as (
    select * from {{ ref('stg_app__ceo_time_entries') }}
),

daily as (
    select
        shop_domain,
        entry_date,
        sum(minutes_order_processing) as minutes_order_processing,
        sum(minutes_inventory_checks) as minutes_inventory_checks,
        sum(minutes_customer_support) as minutes_customer_support,
        sum(minutes_manual_reporting) as minutes_manual_reporting,
        sum(minutes_data_entry) as minutes_data_entry,
        sum(automation_actions) as automation_actions,
        sum(manual_actions_avoided) as manual_actions_avoided,
        min(updated_at) as first_entered_at,
        max(updated_at) as last_entered_at
    from entries
    where entry_date is not null
    group by shop_domain, entry_date
),

final as (
    select
        {{ deterministic_uuid(['daily.shop_domain', "'ceo_day'", 'daily.entry_date']) }} as id,
        daily.shop_domain::text as shop_domain,
        daily.entry_date::date as date,
        daily.minutes_order_processing::integer as time_saved_order_processing,
        daily.minutes_inventory_checks::integer as time_saved_inventory_checks,
        daily.minutes_customer_support::integer as time_saved_customer_support,
        daily.minutes_manual_reporting::integer as time_saved_manual_reporting,
        daily.minutes_data_entry::integer as time_saved_data_entry,
        daily.automation_actions::integer as automation_actions_count,
        daily.manual_actions_avoided::integer as manual_actions_avoided,
        daily.first_entered_at::timestamptz as created_at,
        daily.last_entered_at::timestamptz as updated_at
    from daily
)

select * from final
