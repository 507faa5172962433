{% macro hotrod_as_of() -%}
    {#-
        The as-of time every window and "open breach" is measured against: the `as_of` var, else
        HOTROD_AS_OF (read only when executing, so a new value never invalidates dbt's parse
        state as a new var value does: the benchmark pins its clock this way), else now().
    -#}
    {%- set pinned = pinned_as_of() -%}
    {%- if var('as_of', none) -%}
        ('{{ var("as_of") }}'::timestamptz)
    {%- elif pinned -%}
        ('{{ pinned }}'::timestamptz)
    {%- else -%}
        now()
    {%- endif -%}
{%- endmacro %}

{% macro pinned_as_of() -%}
    {#- HOTROD_AS_OF when executing and set, else none. -#}
    {%- do return(timestamp_from_env(
        'HOTROD_AS_OF', 'set one (e.g. 2026-06-01T12:00:00Z) or unset it to measure at now()'
    )) -%}
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

{% macro within_trailing(ts_expr, days) -%}
    {#- The trailing window: `ts_expr` lies in the `days` x 24 hours ending at the as-of instant. -#}
    ({{ ts_expr }} >= {{ hotrod_as_of() }} - interval '{{ days }} days' and {{ ts_expr }} <= {{ hotrod_as_of() }})
{%- endmacro %}


{% macro timestamp_from_env(name, fix) -%}
    {#-
        The environment variable `name` (an ISO timestamp) when dbt is executing and it is set,
        else none. Read only when executing, so its value never enters dbt's parse state; a value
        that is not an ISO timestamp stops the run with a one-line error ending in `fix`.
    -#}
    {%- if not execute -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set value = env_var(name, '') | trim -%}
    {%- if not value -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?', value) -%}
        {%- do exceptions.raise_compiler_error(name ~ '=' ~ value ~ ' is not an ISO timestamp: ' ~ fix) -%}
    {%- endif -%}
    {%- do return(value) -%}
{%- endmacro %}
