{#-
    Rule-based sentiment (doc block `sentiment_rules`): the customer's own words (incoming,
    non-private messages) are split into lowercase words; each word found in
    seeds/sentiment_lexicon.csv adds its weight; the total falls in one band of
    seeds/sentiment_bands.csv. No text -> neutral.
    Incremental by conversation (issue 17): a run re-scores (delete+insert) the conversations
    with a message landed since the model's watermark and those of contacts redacted since;
    `refreshed_at` stamps the run that wrote the row. A changed lexicon or band seed needs
    `--full-refresh`.
-#}
{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'conversation_id'],
        meta={'changed_at': 'refreshed_at'},
        on_schema_change='append_new_columns',
        pre_hook=["{{ delete_changed_keys(rescored_conversations(), ['shop_domain', 'conversation_id']) }}"],
        post_hook=["{{ ensure_contract_constraints() }}"],
        indexes=[
            {'columns': ['shop_domain', 'conversation_id']},
            {'columns': ['refreshed_at']},
        ],
    )
}}

-- read by the changed-key macros of incremental runs (rendered only then):
-- depends_on: {{ ref('stg_chatwoot__conversations') }}
-- depends_on: {{ source('raw_chatwoot', 'contacts') }}
-- depends_on: {{ source('raw_app', 'redactions') }}

with

{% if is_incremental() %}
    changed as (
        {{ rescored_conversations() }}
    ),
{% endif %}

messages as (
    select * from {{ ref('stg_chatwoot__messages') }}
    {% if is_incremental() %}
        where (shop_domain, conversation_id) in (select changed.shop_domain, changed.conversation_id from changed)
    {% endif %}
),

lexicon as (
    select * from {{ ref('sentiment_lexicon') }}
),

bands as (
    select * from {{ ref('sentiment_bands') }}
),

words as (
    select
        messages.shop_domain,
        messages.conversation_id,
        word.value as word
    from messages
    cross join lateral regexp_split_to_table(lower(messages.content), '[^a-z]+') as word (value)
    where messages.message_type = 0 and not messages.is_private and messages.content is not null
),

scores as (
    select
        words.shop_domain,
        words.conversation_id,
        sum(lexicon.weight)::integer as sentiment_score
    from words
    inner join lexicon
        on words.word = lexicon.term
    group by words.shop_domain, words.conversation_id
),

conversations as (
    select distinct
        shop_domain,
        conversation_id
    from messages
),

final as (
    select
        conversations.shop_domain,
        conversations.conversation_id,
        coalesce(scores.sentiment_score, 0) as sentiment_score,
        bands.sentiment,
        '{{ run_started_at }}'::timestamptz as refreshed_at
    from conversations
    left join scores
        on
            conversations.shop_domain = scores.shop_domain
            and conversations.conversation_id = scores.conversation_id
    left join bands
        on
            coalesce(scores.sentiment_score, 0) >= coalesce(bands.min_score, -2147483648)
            and coalesce(scores.sentiment_score, 0) <= coalesce(bands.max_score, 2147483647)
)

select * from final
