{#-
    Conversation metrics, decided in this one place (doc blocks `cx_first_response`,
    `cx_priority`, `cx_escalation`). First response: the first outgoing (message_type 1),
    non-private message sent by a User at or after the conversation's creation. Breach: that reply
    came more than the SLA minutes (seeds/sla_policies.csv) after creation, or there is none
    and the conversation is older than the SLA at the as-of time. A conversation without a
    creation time (a bad value) is left out.
    Incremental by conversation (issue 17): a run re-measures (delete+insert) the conversations
    of remeasured_conversations() (landed since the model's watermark, a message landed, the
    sentiment re-scored, the contact redacted), and the stored ones whose breach moves with
    the as-of time alone (unanswered, not yet breached); `refreshed_at` stamps the run that
    wrote the row. A changed SLA seed needs `--full-refresh`.
-#}
{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'conversation_id'],
        meta={'changed_at': 'refreshed_at'},
        on_schema_change='append_new_columns',
        pre_hook=["{{ delete_changed_keys(remeasured_conversations(), ['shop_domain', 'conversation_id']) }}"],
        post_hook=["{{ ensure_contract_constraints() }}"],
        indexes=[
            {'columns': ['shop_domain', 'conversation_id']},
            {'columns': ['shop_domain', 'contact_id']},
            {'columns': ['refreshed_at']},
            {'columns': ['shop_domain', 'conversation_id'], 'where': 'first_response_at is null and not is_sla_breach'},
        ],
    )
}}

-- read by the changed-key macros of incremental runs (rendered only then):
-- depends_on: {{ source('raw_chatwoot', 'contacts') }}
-- depends_on: {{ source('raw_app', 'redactions') }}

with

{% if is_incremental() %}
    changed as (
        {{ remeasured_conversations() }}
        -- not deleted by the pre-hook: replaced by the delete+insert
        union
        select
            done.shop_domain,
            done.conversation_id
        from {{ this }} as done
        where done.first_response_at is null and not done.is_sla_breach
    ),
{% endif %}

conversations as (
    -- a conversation whose creation time did not parse (null in staging, listed in
    -- stg_warehouse__rejected_values and v_data_quality_alerts) has no day: left out of CX figures
    select * from {{ ref('stg_chatwoot__conversations') }}
    where created_at is not null
    {% if is_incremental() %}
        and (shop_domain, conversation_id) in (select changed.shop_domain, changed.conversation_id from changed)
    {% endif %}
),

messages as (
    select * from {{ ref('stg_chatwoot__messages') }}
    {% if is_incremental() %}
        where (shop_domain, conversation_id) in (select changed.shop_domain, changed.conversation_id from changed)
    {% endif %}
),

sentiment as (
    select * from {{ ref('int_conversation_sentiment_scored') }}
),

first_replies as (
    select
        messages.shop_domain,
        messages.conversation_id,
        min(messages.created_at) as first_response_at
    from messages
    inner join conversations
        on
            messages.shop_domain = conversations.shop_domain
            and messages.conversation_id = conversations.conversation_id
    where
        messages.message_type = 1
        and not messages.is_private
        and messages.sender_type = 'User'
        and messages.created_at >= conversations.created_at
    group by messages.shop_domain, messages.conversation_id
),

escalations as (
    select
        shop_domain,
        conversation_id,
        min(created_at) as escalated_at
    from messages
    where message_type = 2 and content ilike '%escalat%'
    group by shop_domain, conversation_id
),

measured as (
    select
        conversations.*,
        first_replies.first_response_at,
        {{ sla_threshold('first_response_sla_minutes') }}::integer as sla_target_minutes,
        coalesce(sentiment.sentiment, 'neutral') as sentiment,
        coalesce(sentiment.sentiment_score, 0) as sentiment_score,
        'escalated' = any(conversations.labels) as is_escalated,
        escalations.escalated_at as escalation_message_at
    from conversations
    left join first_replies
        on
            conversations.shop_domain = first_replies.shop_domain
            and conversations.conversation_id = first_replies.conversation_id
    left join sentiment
        on
            conversations.shop_domain = sentiment.shop_domain
            and conversations.conversation_id = sentiment.conversation_id
    left join escalations
        on
            conversations.shop_domain = escalations.shop_domain
            and conversations.conversation_id = escalations.conversation_id
),

final as (
    select
        measured.*,
        floor(extract(epoch from measured.first_response_at - measured.created_at) / 60)::integer
            as first_response_time_minutes,
        coalesce(
            measured.first_response_at - measured.created_at
            > make_interval(mins => measured.sla_target_minutes)
            or (
                measured.first_response_at is null
                and {{ hotrod_as_of() }} - measured.created_at > make_interval(mins => measured.sla_target_minutes)
            ),
            false
        ) as is_sla_breach,
        case
            when measured.conversation_status = 'resolved'
                then coalesce(measured.last_activity_at, measured.source_updated_at, measured.updated_at)
        end as resolved_at,
        case
            when measured.conversation_status in ('open', 'pending', 'resolved') then measured.conversation_status
            when measured.conversation_status = 'snoozed' then 'pending'
            else 'closed'
        end as status,
        case
            when measured.chatwoot_priority in ('low', 'medium', 'high', 'urgent') then measured.chatwoot_priority
            when measured.is_escalated and measured.sentiment = 'very_negative' then 'urgent'
            when measured.is_escalated or measured.sentiment = 'very_negative' then 'high'
            when measured.sentiment = 'negative' then 'medium'
            else 'low'
        end as priority,
        case
            when measured.is_escalated
                then coalesce(measured.escalation_message_at, measured.last_activity_at, measured.created_at)
        end as escalated_at,
        '{{ run_started_at }}'::timestamptz as refreshed_at
    from measured
)

select * from final
