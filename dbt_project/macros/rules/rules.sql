{% macro sla_threshold(policy_key) -%}
    {#- A threshold from seeds/sla_policies.csv, as a scalar subquery. -#}
    (
        select sp.threshold_value
        from {{ ref('sla_policies') }} as sp
        where sp.policy_key = '{{ policy_key }}'
    )
{%- endmacro %}

{% macro velocity_tier(units_30d) -%}
    {#- The tier of seeds/velocity_tiers.csv whose [min, max] range holds the 30-day units. -#}
    (
        select vt.velocity_tier
        from {{ ref('velocity_tiers') }} as vt
        where
            {{ units_30d }} >= vt.min_units_30d
            and ({{ units_30d }} <= vt.max_units_30d or vt.max_units_30d is null)
        order by vt.min_units_30d desc
        limit 1
    )
{%- endmacro %}

{% macro stock_rule(rule_key) -%}
    {#- A parameter from seeds/stock_status_rules.csv, as a scalar subquery. -#}
    (
        select sr.rule_value
        from {{ ref('stock_status_rules') }} as sr
        where sr.rule_key = '{{ rule_key }}'
    )
{%- endmacro %}

{% macro lifecycle_rule(rule_key) -%}
    {#- A parameter from seeds/lifecycle_rules.csv, as a scalar subquery. -#}
    (
        select lr.threshold_days
        from {{ ref('lifecycle_rules') }} as lr
        where lr.rule_key = '{{ rule_key }}'
    )
{%- endmacro %}

{% macro pct_change(current, previous) -%}
    {#- Percentage change, null when the base is zero or missing. -#}
    round(100.0 * ({{ current }} - {{ previous }}) / nullif({{ previous }}, 0), 2)
{%- endmacro %}

{% macro severity_rank(severity) -%}
    {#- 1 for critical, 2 high, 3 medium, 4 low: the position in the ordered type vocab.severity. -#}
    array_position(enum_range(null::vocab.severity), ({{ severity }})::vocab.severity)
{%- endmacro %}

{% macro hours_since(ts) -%}
    {#- Hours from a timestamp to the as-of instant, 2 decimals. -#}
    round(extract(epoch from ({{ hotrod_as_of() }} - {{ ts }}))::numeric / 3600, 2)
{%- endmacro %}

{% macro extraction_freshness(hours) -%}
    {#- fresh within 26 hours of the last extraction, warn within 50, else stale (as the source freshness). -#}
    (case
        when {{ hours }} <= 26 then 'fresh'
        when {{ hours }} <= 50 then 'warn'
        else 'stale'
    end)::vocab.freshness_status
{%- endmacro %}

{% macro operator_totals() -%}
    {#- Per operator over a window of rpt_operator_days_30d: active days and SLA breaches. -#}
    count(distinct date) as active_days,
    sum(sla_breaches_detected) as sla_breaches_detected,
    sum(sla_breaches_resolved) as sla_breaches_resolved
{%- endmacro %}

{% macro text_array_literal(values) -%}
    array[{% for value in values %}'{{ value | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor %}]::text []
{%- endmacro %}
