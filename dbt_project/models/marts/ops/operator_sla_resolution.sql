{#-
    Per operator (the conversation's assignee) and local day of the conversation's creation:
    first-response SLA breaches detected, how many of those are resolved, and the median / p90 /
    p95 first response in minutes of that day's answered conversations.
-#}

with

{{ import_ctes(conversations='int_conversations_measured', shops='stg_shopify__shops') }},

localized as (
    select
        conversations.*,
        {{ local_date('conversations.created_at', "coalesce(shops.iana_timezone, 'UTC')") }} as local_date,
        extract(epoch from conversations.first_response_at - conversations.created_at) / 60.0
            as response_minutes
    from conversations
    {{ join_each('conversations', ['shops']) }}
    where conversations.assignee_id is not null
),

daily as (
    select
        shop_domain,
        assignee_id,
        local_date,
        count(*) filter (where is_sla_breach) as sla_breaches_detected,
        count(*) filter (where is_sla_breach and status = 'resolved') as sla_breaches_resolved,
        percentile_cont(0.5) within group (order by response_minutes) as median_response_time,
        percentile_cont(0.9) within group (order by response_minutes) as p90_response_time,
        percentile_cont(0.95) within group (order by response_minutes) as p95_response_time
    from localized
    group by shop_domain, assignee_id, local_date
),

final as (
    select
        {{ typed_columns('daily', {
            'id': deterministic_uuid(['daily.shop_domain', "'operator_day'", 'daily.assignee_id', 'daily.local_date']),
            'operator_id': 'daily.assignee_id',
            'date': 'daily.local_date',
            'median_response_time': 'round(daily.median_response_time::numeric, 2)',
            'p90_response_time': 'round(daily.p90_response_time::numeric, 2)',
            'p95_response_time': 'round(daily.p95_response_time::numeric, 2)',
            'created_at': "'" ~ run_started_at ~ "'",
            'updated_at': "'" ~ run_started_at ~ "'",
        }) }}
    from daily
)

select * from final
