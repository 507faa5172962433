{% macro hotrod_as_of() -%}
    {#- The as-of time every window and "open breach" is measured against. -#}
    {%- if var('as_of', none) -%}
        ('{{ var("as_of") }}'::timestamptz)
    {%- else -%}
        now()
    {%- endif -%}
{%- endmacro %}

{% macro local_date(ts, tz) -%}
    ({{ ts }} at time zone {{ tz }})::date
{%- endmacro %}

{% macro epoch_to_timestamp(expr) -%}
    {#- Chatwoot timestamps: epoch seconds (number or numeric string); ISO strings also accepted.
        Chatwoot renders an absent time as 0: that is null, never 1970-01-01. A value that is
        neither (or beyond year 9999) is null, never an error, and is listed by
        stg_warehouse__rejected_values. -#}
    case
        when ({{ expr }}) ~ '^0+(\.0+)?$' then null
        when not {{ value_is_valid(expr, 'epoch') }} then null
        when ({{ expr }}) ~ '^[0-9]+(\.[0-9]+)?$' then to_timestamp(({{ expr }})::double precision)
        when ({{ expr }}) is not null and ({{ expr }}) <> '' then ({{ expr }})::timestamptz
    end
{%- endmacro %}

{% macro within_last_days(date_expr, days, as_of_date='shops.as_of_date') -%}
    {#- The shop-local window: the `days` local days ending on the as-of local day, inclusive. -#}
    ({{ date_expr }} > {{ as_of_date }} - {{ days }} and {{ date_expr }} <= {{ as_of_date }})
{%- endmacro %}
