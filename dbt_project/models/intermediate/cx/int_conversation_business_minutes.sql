{#-
    First response and resolution of each conversation in business minutes (doc block
    `cx_business_minutes`): the minutes of the span that fall inside its inbox's working hours,
    read in the inbox's time zone, with the shop's holidays (seeds/holidays.csv, by the country of
    the shop's active locations) closed all day. Measured only for inboxes with working hours
    enabled; other inboxes keep calendar minutes (business columns null, the business-hour breach
    equal to the calendar one).
    Incremental by conversation (issue 17): a run re-measures (delete+insert) the conversations
    of rebusinessed_conversations() (measured since the model's watermark or landed; every
    conversation of an inbox landed since, working hours or time zone changed; every
    conversation of a shop with a location landed since, its holidays' country may have
    changed), and the stored ones whose business-hour breach moves with the as-of time alone
    (unanswered, not yet breached); `refreshed_at` stamps the run that wrote the row. A changed
    holiday seed needs `--full-refresh`.
-#}
{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'conversation_id'],
        meta={'changed_at': 'refreshed_at'},
        on_schema_change='append_new_columns',
        pre_hook=["{{ delete_changed_keys(rebusinessed_conversations(), ['shop_domain', 'conversation_id']) }}"],
        post_hook=["{{ ensure_contract_constraints() }}"],
        indexes=[
            {'columns': ['shop_domain', 'conversation_id']},
            {'columns': ['refreshed_at']},
            {
                'columns': ['shop_domain', 'conversation_id'],
                'where': 'has_working_hours and first_response_business_minutes is null and not is_sla_breach_business_hours',
            },
        ],
    )
}}

-- read by the changed-key macros of incremental runs (rendered only then):
-- depends_on: {{ ref('stg_chatwoot__conversations') }}

with

{% if is_incremental() %}
    changed as (
        {{ rebusinessed_conversations() }}
        -- not deleted by the pre-hook: replaced by the delete+insert
        union
        select
            done.shop_domain,
            done.conversation_id
        from {{ this }} as done
        where
            done.has_working_hours
            and done.first_response_business_minutes is null
            and not done.is_sla_breach_business_hours
    ),
{% endif %}

conversations as (
    select * from {{ ref('int_conversations_measured') }}
    {% if is_incremental() %}
        where (shop_domain, conversation_id) in (select changed.shop_domain, changed.conversation_id from changed)
    {% endif %}
),

inboxes as (
    select * from {{ ref('stg_chatwoot__inboxes') }}
),

schedule as (
    select * from {{ ref('stg_chatwoot__inbox_working_hours') }}
),

locations as (
    select * from {{ ref('stg_shopify__locations') }}
),

holidays as (
    select * from {{ ref('holidays') }}
),

shop_countries as (
    select
        shop_domain,
        mode() within group (order by country_code) as country_code
    from locations
    where is_active and country_code is not null
    group by shop_domain
),

shop_holidays as (
    select
        shop_countries.shop_domain,
        holidays.holiday_date
    from shop_countries
    inner join holidays
        on shop_countries.country_code = holidays.country_code
),

timed as (
    select
        conversations.shop_domain,
        conversations.conversation_id,
        conversations.created_at,
        conversations.first_response_at,
        conversations.resolved_at,
        conversations.sla_target_minutes,
        conversations.is_sla_breach,
        inboxes.inbox_id,
        coalesce(inboxes.inbox_timezone, 'UTC') as inbox_timezone,
        coalesce(inboxes.working_hours_enabled, false) as has_working_hours
    from conversations
    left join inboxes
        on
            conversations.shop_domain = inboxes.shop_domain
            and conversations.inbox_id = inboxes.inbox_id
),

-- the spans to measure: to the first response (or, unanswered, to the as-of time) and to the
-- resolution
spans as (
    select
        shop_domain,
        conversation_id,
        inbox_id,
        inbox_timezone,
        'first_response' as measure,
        created_at as span_start,
        coalesce(first_response_at, {{ hotrod_as_of() }}) as span_end
    from timed
    where has_working_hours and coalesce(first_response_at, {{ hotrod_as_of() }}) > created_at
    union all
    select
        shop_domain,
        conversation_id,
        inbox_id,
        inbox_timezone,
        'resolution' as measure,
        created_at as span_start,
        resolved_at as span_end
    from timed
    where has_working_hours and resolved_at > created_at
),

-- each local day the span touches, with that day's opening window as timestamps
span_days as (
    select
        spans.shop_domain,
        spans.conversation_id,
        spans.measure,
        spans.span_start,
        spans.span_end,
        (local_day.day + make_interval(mins => schedule.open_minute)) at time zone spans.inbox_timezone
            as opens_at,
        (local_day.day + make_interval(mins => schedule.close_minute)) at time zone spans.inbox_timezone
            as closes_at
    from spans
    cross join
        lateral generate_series(
            (spans.span_start at time zone spans.inbox_timezone)::date::timestamp,
            (spans.span_end at time zone spans.inbox_timezone)::date::timestamp,
            interval '1 day'
        ) as local_day (day)
    inner join schedule
        on
            spans.shop_domain = schedule.shop_domain
            and spans.inbox_id = schedule.inbox_id
            and extract(dow from local_day.day)::integer = schedule.day_of_week
    left join shop_holidays
        on
            spans.shop_domain = shop_holidays.shop_domain
            and local_day.day::date = shop_holidays.holiday_date
    where
        not schedule.is_closed_all_day
        and schedule.close_minute > schedule.open_minute
        and shop_holidays.holiday_date is null
),

measured as (
    select
        shop_domain,
        conversation_id,
        measure,
        sum(
            greatest(
                extract(epoch from least(span_end, closes_at) - greatest(span_start, opens_at)), 0
            )
        ) as business_seconds
    from span_days
    group by shop_domain, conversation_id, measure
),

final as (
    select
        timed.shop_domain,
        timed.conversation_id,
        timed.inbox_id,
        timed.inbox_timezone,
        timed.has_working_hours,
        case
            when timed.has_working_hours and timed.first_response_at is not null
                then floor(coalesce(first_response.business_seconds, 0) / 60)::integer
        end as first_response_business_minutes,
        case
            when timed.has_working_hours and timed.resolved_at is not null
                then floor(coalesce(resolution.business_seconds, 0) / 60)::integer
        end as resolution_business_minutes,
        case
            when timed.has_working_hours
                then coalesce(first_response.business_seconds, 0) > timed.sla_target_minutes * 60
            else timed.is_sla_breach
        end as is_sla_breach_business_hours,
        '{{ run_started_at }}'::timestamptz as refreshed_at
    from timed
    left join measured as first_response
        on
            timed.shop_domain = first_response.shop_domain
            and timed.conversation_id = first_response.conversation_id
            and first_response.measure = 'first_response'
    left join measured as resolution
        on
            timed.shop_domain = resolution.shop_domain
            and timed.conversation_id = resolution.conversation_id
            and resolution.measure = 'resolution'
)

select * from final
