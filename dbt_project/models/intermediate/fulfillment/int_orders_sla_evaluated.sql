{#-
    Fulfillment SLA evaluation of every non-test order, in this one place (doc block
    `fulfillment_sla`). Deadline = created_at + the SLA days of seeds/sla_policies.csv. A counted
    order breaches when its first SUCCESS fulfillment comes after the deadline, or when it has
    none and the as-of time is past the deadline. Issue type: the order's `issue:<type>` tag,
    else delayed_shipping when breached. Severity: the `severity:<level>` tag, else by hours late
    for delayed shipping (thresholds in seeds/sla_policies.csv), else medium.
    Quarantine (issue 17): an order a guarding test of fulfillment_tracking would fail on (created
    after the as-of time, fulfilled before it was created, no creation time) gets a `quarantine_reason`; it is kept
    out of the tile (fulfillment_quarantine) and flagged in the data-quality views instead of
    failing the test and freezing every following refresh.
    Incremental by order (issue 17): a run re-evaluates (delete+insert) the orders localized
    since its newest `localized_at`, and the stored orders whose figures move with the as-of
    time alone: counted and not yet shipped (breach and severity), or quarantined (a future
    order's time comes). The as-of time only moves forward; a changed SLA seed needs
    `--full-refresh`.
-#}
{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'order_id'],
        on_schema_change='fail',
        pre_hook=["{{ delete_changed_orders(ref('int_orders_localized'), 'localized_at') }}"],
        indexes=[
            {'columns': ['shop_domain', 'order_id']},
            {'columns': ['localized_at']},
            {
                'columns': ['shop_domain', 'order_id'],
                'where': '(first_fulfilled_at is null and is_counted) or quarantine_reason is not null',
            },
        ],
    )
}}

{#- hours from the deadline to the first shipment (or the as-of time); not stored: it moves with time -#}
{%- set hours_late -%}
    (extract(epoch from coalesce(classified.first_fulfilled_at, {{ hotrod_as_of() }}) - classified.sla_deadline) / 3600.0)
{%- endset %}

with

orders as (
    select * from {{ ref('int_orders_localized') }}
    {% if is_incremental() %}
        where {{ staged_since_last_run('localized_at', 'localized_at') }}
        -- two branches, each read through its own index (an `or` would scan every order)
        union all
        select localized.*
        from {{ ref('int_orders_localized') }} as localized
        where
            not {{ staged_since_last_run('localized.localized_at', 'localized_at') }}
            and (localized.shop_domain, localized.order_id) in (
                select
                    done.shop_domain,
                    done.order_id
                from {{ this }} as done
                where (done.first_fulfilled_at is null and done.is_counted) or done.quarantine_reason is not null
            )
    {% endif %}
),

evaluated as (
    select
        orders.*,
        {{ sla_threshold('fulfillment_sla_days') }}::integer as sla_threshold_days,
        orders.created_at
        + make_interval(hours => 24 * {{ sla_threshold("fulfillment_sla_days") }}::integer) as sla_deadline
    from orders
    where not orders.is_test
),

breaches as (
    select
        evaluated.*,
        coalesce(
            evaluated.is_counted
            and (
                evaluated.first_fulfilled_at > evaluated.sla_deadline
                or (evaluated.first_fulfilled_at is null and {{ hotrod_as_of() }} > evaluated.sla_deadline)
            ),
            false
        ) as is_sla_breach
    from evaluated
),

classified as (
    select
        breaches.*,
        case
            when breaches.cancelled_at is not null then 'cancelled'
            when breaches.display_fulfillment_status = 'FULFILLED' then 'fulfilled'
            when breaches.display_fulfillment_status = 'PARTIALLY_FULFILLED' then 'partial'
            when breaches.first_fulfilled_at is not null then 'fulfilled'
            else 'unfulfilled'
        end as fulfillment_status,
        floor(extract(epoch from breaches.first_fulfilled_at - breaches.created_at) / 86400)::integer
            as days_to_fulfill,
        case
            when breaches.issue_tag in (
                'delayed_shipping', 'missing_items', 'damaged_goods', 'wrong_address', 'inventory_shortage'
            ) then breaches.issue_tag
            when breaches.is_sla_breach then 'delayed_shipping'
        end as issue_type
    from breaches
),

final as (
    select
        classified.*,
        classified.issue_type is not null as has_issue,
        case
            when classified.issue_type is null then null
            when classified.severity_tag in ('low', 'medium', 'high', 'critical') then classified.severity_tag
            when classified.issue_type = 'delayed_shipping' and classified.is_sla_breach
                then
                    case
                        when
                            {{ hours_late }} >= {{ sla_threshold('severity_critical_hours_late') }}
                            then 'critical'
                        when {{ hours_late }} >= {{ sla_threshold('severity_high_hours_late') }} then 'high'
                        when {{ hours_late }} >= {{ sla_threshold('severity_medium_hours_late') }} then 'medium'
                        else 'low'
                    end
            else 'medium'
        end as issue_severity,
        case
            when classified.created_at is null then 'missing_created_at'  -- did not parse (issue 20)
            when classified.created_at > {{ hotrod_as_of() }} + interval '5 minutes' then 'created_in_future'
            when classified.first_fulfilled_at < classified.created_at then 'fulfilled_before_created'
        end as quarantine_reason
    from classified
)

select * from final
