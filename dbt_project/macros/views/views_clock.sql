{% macro views_local_today(timezone_column) -%}
    {#- The shop's local calendar date at the as-of instant. -#}
    (({{ hotrod_as_of() }} at time zone {{ timezone_column }})::date)
{%- endmacro %}

{% macro views_pct(numerator, denominator, scale=1) -%}
    {#- numerator / denominator * 100, rounded; null when the denominator is 0 or null. -#}
    round(100.0 * ({{ numerator }}) / nullif({{ denominator }}, 0), {{ scale }})
{%- endmacro %}
