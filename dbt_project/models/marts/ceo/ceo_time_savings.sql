{#- One row per shop and entry day: the CEO's manual entries of time saved, summed. -#}

with

entries as (
    select * from {{ ref('stg_app__ceo_time_entries') }}
),

daily as (
    select
        shop_domain,
        entry_date as date,
        {{ aggregates('sum', {
            'time_saved_order_processing': 'minutes_order_processing',
            'time_saved_inventory_checks': 'minutes_inventory_checks',
            'time_saved_customer_support': 'minutes_customer_support',
            'time_saved_manual_reporting': 'minutes_manual_reporting',
            'time_saved_data_entry': 'minutes_data_entry',
            'automation_actions_count': 'automation_actions',
            'manual_actions_avoided': 'manual_actions_avoided',
        }) }},
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
