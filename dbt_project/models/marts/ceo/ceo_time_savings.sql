{#- One row per shop and entry day: the CEO's manual entries of time saved, summed. -#}

with

entries as (
    select * from {{ ref('stg_app__ceo_time_entries') }}
),

daily as (
    select
        shop_domain,
        entry_date as date,
        sum(minutes_order_processing) as time_saved_order_processing,
        sum(minutes_inventory_checks) as time_saved_inventory_checks,
        sum(minutes_customer_support) as time_saved_customer_support,
        sum(minutes_manual_reporting) as time_saved_manual_reporting,
        sum(minutes_data_entry) as time_saved_data_entry,
        sum(automation_actions) as automation_actions_count,
        sum(manual_actions_avoided) as manual_actions_avoided,
        min(updated_at) as created_at,
        max(updated_at) as updated_at
    from entries
    where entry_date is not null
    group by shop_domain, entry_date
),

final as (
    select
        {{ typed_columns('daily', {
            'id': deterministic_uuid(['daily.shop_domain', "'ceo_day'", 'daily.date']),
        }) }}
    from daily
)

select * from final
