{#-
    CSAT per shop, per inbox and per agent (doc block `csat_rules`): every response, and those of
    the 30 local days up to the as-of day. One row per shop and grouping (summary_level shop:
    the whole shop; inbox: one inbox; agent: one assigned agent, `none` when unassigned).
-#}
with

responses as (
    select * from {{ ref('stg_chatwoot__csat_survey_responses') }}
),

conversations as (
    select * from {{ ref('stg_chatwoot__conversations') }}
),

inboxes as (
    select * from {{ ref('stg_chatwoot__inboxes') }}
),

agents as (
    select * from {{ ref('stg_chatwoot__agents') }}
),

shops as (
    select * from {{ ref('shops') }}
),

rated as (
    select
        responses.shop_domain,
        responses.csat_response_id,
        responses.rating,
        responses.responded_at,
        conversations.inbox_id,
        responses.assigned_agent_id,
        (responses.responded_at at time zone shops.iana_timezone)::date
        >= ({{ hotrod_as_of() }} at time zone shops.iana_timezone)::date - 29 as is_last_30_days
    from responses
    inner join shops
        on responses.shop_domain = shops.shop_domain
    left join conversations
        on
            responses.shop_domain = conversations.shop_domain
            and responses.conversation_id = conversations.conversation_id
    where responses.responded_at <= {{ hotrod_as_of() }}
),

grouped as (
    select
        shop_domain,
        case
            when grouping(inbox_id) = 0 then 'inbox'
            when grouping(assigned_agent_id) = 0 then 'agent'
            else 'shop'
        end as summary_level,
        inbox_id,
        assigned_agent_id,
        count(*) as responses,
        round(avg(rating), 2) as average_rating,
        count(*) filter (where rating >= 4) as satisfied_responses,
        count(*) filter (where rating = 1) as rating_1,
        count(*) filter (where rating = 2) as rating_2,
        count(*) filter (where rating = 3) as rating_3,
        count(*) filter (where rating = 4) as rating_4,
        count(*) filter (where rating = 5) as rating_5,
        count(*) filter (where is_last_30_days) as responses_30d,
        count(*) filter (where is_last_30_days and rating >= 4) as satisfied_responses_30d,
        max(responded_at) as last_response_at
    from rated
    group by grouping sets ((shop_domain), (shop_domain, inbox_id), (shop_domain, assigned_agent_id))
),

final as (
    select
        grouped.shop_domain,
        grouped.summary_level,
        case
            when grouped.summary_level = 'inbox' then coalesce(grouped.inbox_id::text, 'unknown')
            when grouped.summary_level = 'agent' then coalesce(grouped.assigned_agent_id::text, 'none')
            else 'all'
        end as summary_key,
        case when grouped.summary_level = 'inbox' then grouped.inbox_id end as inbox_id,
        case when grouped.summary_level = 'inbox' then inboxes.inbox_name end as inbox_name,
        case when grouped.summary_level = 'agent' then grouped.assigned_agent_id end as agent_id,
        case when grouped.summary_level = 'agent' then agents.agent_name end as agent_name,
        grouped.responses,
        grouped.average_rating,
        grouped.satisfied_responses,
        {{ views_pct('grouped.satisfied_responses', 'grouped.responses') }} as csat_pct,
        grouped.rating_1,
        grouped.rating_2,
        grouped.rating_3,
        grouped.rating_4,
        grouped.rating_5,
        grouped.responses_30d,
        {{ views_pct('grouped.satisfied_responses_30d', 'grouped.responses_30d') }} as csat_pct_30d,
        grouped.last_response_at
    from grouped
    left join inboxes
        on
            grouped.summary_level = 'inbox'
            and grouped.shop_domain = inboxes.shop_domain
            and grouped.inbox_id = inboxes.inbox_id
    left join agents
        on
            grouped.summary_level = 'agent'
            and grouped.shop_domain = agents.shop_domain
            and grouped.assigned_agent_id = agents.agent_id
)

select * from final
