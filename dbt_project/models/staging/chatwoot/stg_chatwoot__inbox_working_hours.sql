{#-
    One row per inbox and day of the week, from the inbox's `working_hours` list (Chatwoot's
    weekly schedule: day_of_week 0 = Sunday .. 6). Open and close as minutes after local
    midnight; an open_all_day day spans the whole day (0 to 1440), a closed_all_day day nothing.
-#}
with

source as (
    select * from {{ source('raw_chatwoot', 'inboxes') }}
),

days as (
    select
        source.shop_domain,
        {{ cast_or_null("source.payload ->> 'id'", 'bigint') }} as inbox_id,
        {{ cast_or_null("day.value ->> 'day_of_week'", 'integer') }} as day_of_week,
        coalesce({{ cast_or_null("day.value ->> 'closed_all_day'", 'boolean') }}, false) as is_closed_all_day,
        coalesce({{ cast_or_null("day.value ->> 'open_all_day'", 'boolean') }}, false) as is_open_all_day,
        {{ cast_or_null("day.value ->> 'open_hour'", 'integer') }} * 60
        + coalesce({{ cast_or_null("day.value ->> 'open_minutes'", 'integer') }}, 0) as open_minute,
        {{ cast_or_null("day.value ->> 'close_hour'", 'integer') }} * 60
        + coalesce({{ cast_or_null("day.value ->> 'close_minutes'", 'integer') }}, 0) as close_minute,
        source.updated_at,
        source.extracted_at
    from source
    cross join
        lateral jsonb_array_elements(
            case
                when jsonb_typeof(source.payload -> 'working_hours') = 'array'
                    then source.payload -> 'working_hours'
                else '[]'::jsonb
            end
        ) as day (value)
    where {{ value_is_valid("source.payload ->> 'id'", 'bigint') }}  -- no usable key: listed as rejected
),

final as (
    select
        shop_domain,
        inbox_id,
        day_of_week,
        is_closed_all_day,
        is_open_all_day,
        case
            when is_open_all_day then 0
            when not is_closed_all_day then open_minute
        end as open_minute,
        case
            when is_open_all_day then 1440
            when not is_closed_all_day then close_minute
        end as close_minute,
        updated_at,
        extracted_at
    from days
    where day_of_week between 0 and 6
)

select * from final
