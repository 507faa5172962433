with

source as (
    select * from {{ source('raw_app', 'ceo_time_entries') }}
),

renamed as (
    select
        shop_domain,
        id as entry_id,
        {{ cast_or_null("payload ->> 'entry_date'", 'date') }} as entry_date,
        coalesce({{ cast_or_null("payload ->> 'minutes_order_processing'", 'integer') }}, 0)
            as minutes_order_processing,
        coalesce({{ cast_or_null("payload ->> 'minutes_inventory_checks'", 'integer') }}, 0)
            as minutes_inventory_checks,
        coalesce({{ cast_or_null("payload ->> 'minutes_customer_support'", 'integer') }}, 0)
            as minutes_customer_support,
        coalesce({{ cast_or_null("payload ->> 'minutes_manual_reporting'", 'integer') }}, 0)
            as minutes_manual_reporting,
        coalesce({{ cast_or_null("payload ->> 'minutes_data_entry'", 'integer') }}, 0) as minutes_data_entry,
        coalesce({{ cast_or_null("payload ->> 'automation_actions'", 'integer') }}, 0) as automation_actions,
        coalesce({{ cast_or_null("payload ->> 'manual_actions_avoided'", 'integer') }}, 0) as manual_actions_avoided,
        updated_at,
        extracted_at
    from source
)

select * from renamed
