with

source as (
    select * from {{ source('raw_chatwoot', 'inboxes') }}
),

renamed as (
    select
        shop_domain,
        {{ cast_or_null("payload ->> 'id'", 'bigint') }} as inbox_id,
        payload ->> 'name' as inbox_name,
        payload ->> 'channel_type' as channel_type,
        coalesce({{ cast_or_null("payload ->> 'working_hours_enabled'", 'boolean') }}, false) as working_hours_enabled,
        nullif(payload ->> 'timezone', '') as inbox_timezone,
        coalesce({{ cast_or_null("payload ->> 'csat_survey_enabled'", 'boolean') }}, false) as csat_survey_enabled,
        updated_at,
        extracted_at
    from source
    where {{ value_is_valid("payload ->> 'id'", 'bigint') }}  -- no usable key: listed as rejected
)

select * from renamed
