{#-
    Persona and lifecycle, decided in this one place (doc blocks `persona_rules` and
    `lifecycle_rules`). Persona: the first rule of seeds/segment_rules.csv (by priority) whose
    every non-empty condition holds (tag, discount code used, order count, basket); confidence = the rule's base confidence plus 0.02 per
    order beyond the minimum the rule needs (at most 1). Lifecycle from recency at the as-of time
    with the day thresholds of seeds/lifecycle_rules.csv.
-#}
with

history as (
    select * from {{ ref('int_customer_orders_aggregated') }}
),

rules as (
    select * from {{ ref('segment_rules') }}
),

measured as (
    select
        history.*,
        floor(extract(epoch from {{ hotrod_as_of() }} - history.first_order_at) / 86400)::integer
            as days_since_first_order,
        floor(extract(epoch from {{ hotrod_as_of() }} - history.last_order_at) / 86400)::integer
            as days_since_last_order
    from history
),

matches as (
    select
        measured.shop_domain,
        measured.customer_id,
        rules.primary_segment,
        rules.is_priority_customer,
        least(
            1.0,
            rules.base_confidence
            + 0.02 * greatest(measured.total_orders - coalesce(rules.min_orders, 0), 0)
        )::numeric(4, 2) as segment_confidence,
        row_number() over (
            partition by measured.shop_domain, measured.customer_id
            order by rules.priority
        ) as match_rank
    from measured
    inner join rules
        on
            (rules.requires_tag is null or rules.requires_tag = any(measured.tags))
            and (
                rules.requires_discount_code is null
                or upper(rules.requires_discount_code) = any(measured.discount_codes_used)
            )
            and (rules.min_orders is null or measured.total_orders >= rules.min_orders)
            and (rules.max_orders is null or measured.total_orders <= rules.max_orders)
            and (
                rules.min_avg_order_value is null
                or coalesce(measured.avg_order_value, 0) >= rules.min_avg_order_value
            )
            and (
                rules.min_performance_share is null
                or measured.performance_share >= rules.min_performance_share
            )
            and (
                rules.min_restoration_share is null
                or measured.restoration_share >= rules.min_restoration_share
            )
            and (
                rules.min_fabrication_share is null
                or measured.fabrication_share >= rules.min_fabrication_share
            )
),

final as (
    select
        measured.*,
        coalesce(matches.primary_segment, 'DIY Builder') as primary_segment,
        coalesce(matches.segment_confidence, 0.0)::numeric(4, 2) as segment_confidence,
        coalesce(matches.is_priority_customer, false) as is_priority_customer,
        case
            when measured.last_order_at is null then 'new'
            when measured.days_since_last_order > {{ lifecycle_rule('churned_after_days') }} then 'churned'
            when measured.days_since_last_order > {{ lifecycle_rule('at_risk_after_days') }} then 'at_risk'
            when measured.last_gap_days > {{ lifecycle_rule('reactivation_gap_days') }} then 'reactivated'
            when measured.days_since_first_order <= {{ lifecycle_rule('new_max_days_since_first_order') }}
                then 'new'
            else 'active'
        end as lifecycle_stage
    from measured
    left join matches
        on
            measured.shop_domain = matches.shop_domain
            and measured.customer_id = matches.customer_id
            and matches.match_rank = 1
)

select * from final
