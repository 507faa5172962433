{#-
    Persona and lifecycle (doc blocks `persona_rules` and `lifecycle_rules`). Persona: decided
    in int_customer_personas (by seeds/segment_rules.csv). Lifecycle, decided in this one place:
    from recency at the as-of time with the day thresholds of seeds/lifecycle_rules.csv. A table
    rebuilt in full (lifecycle moves with time); the real-time tiles read int_customer_personas.
-#}
with

history as (
    select * from {{ ref('int_customer_orders_aggregated') }}
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

personas as (
    select * from {{ ref('int_customer_personas') }}
),

final as (
    select
        measured.*,
        coalesce(personas.primary_segment, 'DIY Builder') as primary_segment,
        coalesce(personas.segment_confidence, 0.0)::numeric(4, 2) as segment_confidence,
        coalesce(personas.is_priority_customer, false) as is_priority_customer,
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
    left join personas
        on
            measured.shop_domain = personas.shop_domain
            and measured.customer_id = personas.customer_id
)

select * from final
