{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'customer_id'],
        on_schema_change='append_new_columns',
        pre_hook=["{{ delete_changed_keys(
            'select shop_domain, customer_id from (' ~ landed_customers() ~ ') as landed',
            ['shop_domain', 'customer_id'],
            kept_in=ref('int_customer_orders_aggregated')
        ) }}"],
        post_hook=["{{ ensure_contract_constraints() }}"],
        indexes=[
            {'columns': ['shop_domain', 'customer_id']},
            {'columns': ['segment_changed_at']},
        ],
    )
}}

{#-
    Persona of each customer, decided in this one place (doc block `persona_rules`): the first
    rule of seeds/segment_rules.csv (by priority) whose every non-empty condition holds (tag,
    discount code used, order count, basket); confidence = the rule's base confidence plus 0.02
    per order beyond the minimum the rule needs (at most 1). It does not move with time, so the
    real-time tiles read it rather than int_customers_segmented (lifecycle moves with the as-of
    time).
    Incremental by customer (issue 17): a run re-decides the customers int_customer_orders_aggregated
    wrote since the model's watermark; `segment_changed_at` keeps the run in which the segment or
    the priority flag last changed, so the tiles rebuild a customer's orders and conversations
    only when those did. A deleted customer's row goes (pre-hook). A changed rule seed needs
    `--full-refresh`.
-#}

-- read by the changed-key macros of incremental runs (rendered only then):
-- depends_on: {{ source('raw_shopify', 'customers') }}

with

history as (
    select * from {{ ref('int_customer_orders_aggregated') }}
    {% if is_incremental() %}
        where {{ written_since_watermark('refreshed_at') }}
    {% endif %}
),

rules as (
    select * from {{ ref('segment_rules') }}
),

matches as (
    select
        history.shop_domain,
        history.customer_id,
        rules.primary_segment,
        rules.is_priority_customer,
        least(
            1.0,
            rules.base_confidence
            + 0.02 * greatest(history.total_orders - coalesce(rules.min_orders, 0), 0)
        )::numeric(4, 2) as segment_confidence,
        row_number() over (
            partition by history.shop_domain, history.customer_id
            order by rules.priority
        ) as match_rank
    from history
    inner join rules
        on
            (rules.requires_tag is null or rules.requires_tag = any(history.tags))
            and (
                rules.requires_discount_code is null
                or upper(rules.requires_discount_code) = any(history.discount_codes_used)
            )
            and (rules.min_orders is null or history.total_orders >= rules.min_orders)
            and (rules.max_orders is null or history.total_orders <= rules.max_orders)
            and (
                rules.min_avg_order_value is null
                or coalesce(history.avg_order_value, 0) >= rules.min_avg_order_value
            )
            and (
                rules.min_performance_share is null
                or history.performance_share >= rules.min_performance_share
            )
            and (
                rules.min_restoration_share is null
                or history.restoration_share >= rules.min_restoration_share
            )
            and (
                rules.min_fabrication_share is null
                or history.fabrication_share >= rules.min_fabrication_share
            )
),

decided as (
    select
        history.shop_domain,
        history.customer_id,
        coalesce(matches.primary_segment, 'DIY Builder') as primary_segment,
        coalesce(matches.segment_confidence, 0.0)::numeric(4, 2) as segment_confidence,
        coalesce(matches.is_priority_customer, false) as is_priority_customer
    from history
    left join matches
        on
            history.shop_domain = matches.shop_domain
            and history.customer_id = matches.customer_id
            and matches.match_rank = 1
),

final as (
    select
        decided.*,
        {% if is_incremental() -%}
            case
                when
                    (stored.primary_segment, stored.is_priority_customer)
                    is not distinct from (decided.primary_segment, decided.is_priority_customer)
                    then stored.segment_changed_at
                else '{{ run_started_at }}'::timestamptz
            end
        {%- else -%}
            '{{ run_started_at }}'::timestamptz
        {%- endif %} as segment_changed_at
    from decided
    {% if is_incremental() %}
        left join {{ this }} as stored
            on
                decided.shop_domain = stored.shop_domain
                and decided.customer_id = stored.customer_id
    {% endif %}
)

select * from final
