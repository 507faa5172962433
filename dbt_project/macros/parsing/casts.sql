{% macro value_is_valid(expr, kind) -%}
    {#- Whether the text `expr` can be staged as `kind` (never an error): a PostgreSQL type name,
        or one of the source formats staging reads: 'epoch' (Chatwoot: epoch seconds or an ISO
        time; empty and 0 mean absent), 'yyyymmdd' (GA4 date), 'yyyymmddhh' (GA4 dateHour),
        'gid' (a Shopify GID or numeric id whose number fits bigint). Null is valid (absent). -#}
    {%- if kind == 'epoch' -%}
        case
            when ({{ expr }}) is null or ({{ expr }}) = '' then true
            when ({{ expr }}) ~ '^[0-9]{1,12}(\.[0-9]+)?$' then ({{ expr }})::numeric < 253402300800
            else {{ input_is_valid(expr, 'timestamptz') }}
        end
    {%- elif kind == 'yyyymmdd' -%}
        (
            ({{ expr }}) is null
            or (({{ expr }}) ~ '^[0-9]{8}$' and {{ input_is_valid(expr, 'date') }})
        )
    {%- elif kind == 'yyyymmddhh' -%}
        (
            ({{ expr }}) is null
            or (
                ({{ expr }}) ~ '^[0-9]{8}([01][0-9]|2[0-3])$'
                and {{ input_is_valid_function() }}(left({{ expr }}, 8), 'date')
            )
        )
    {%- elif kind == 'gid' -%}
        (({{ expr }}) is null or ({{ expr }}) ~ '(^|[^0-9])[0-9]{1,18}(\?.*)?$')
    {%- else -%}
        (({{ expr }}) is null or {{ input_is_valid(expr, kind) }})
    {%- endif -%}
{%- endmacro %}

{% macro yyyymmdd_to_date(expr) -%}
    {#- A GA4 date (20260601) as date; null when it is not one (listed by
        stg_warehouse__rejected_values). -#}
    case when {{ value_is_valid(expr, 'yyyymmdd') }} then ({{ expr }})::date end
{%- endmacro %}

{% macro yyyymmddhh_to_hour(expr) -%}
    {#- The hour of a GA4 dateHour (2026060113 -> 13); null when it is not a dateHour. -#}
    case when {{ value_is_valid(expr, 'yyyymmddhh') }} then right({{ expr }}, 2)::integer end
{%- endmacro %}

{% macro jsonb_scalar_text(expr) -%}
    {#- A jsonb scalar as text (a string without its quotes, a number as written); null for JSON
        null or a missing value. -#}
    ({{ expr }}) #>> '{}'
{%- endmacro %}

{% macro inventory_quantity_text(name) -%}
    {#- The quantity named `name` (available, on_hand, ...) of an InventoryLevel's quantities list,
        as text; null when the list has no such entry. -#}
    {{ jsonb_scalar_text("jsonb_path_query_first(payload, '$.quantities[*] ? (@.name == \"" ~ name ~ "\").quantity')") }}
{%- endmacro %}

{% macro rejected_values_select(table, since_watermark=false) -%}
    {#- The values of one raw table that do not parse, for stg_warehouse__rejected_values.
        `table`: {source, table, fields: [(field name, text expression over `payload`, kind)],
        optionally list (a child array of the payload whose elements the field expressions read
        as `child`) and where (a condition on the raw row)}; with `since_watermark`, only the raw
        rows landed since the model's watermark. -#}
    select
        raw.shop_domain,
        '{{ table.source }}.{{ table.table }}' as source_table,
        raw.id as record_key,
        {%- if table.list %}
            coalesce(child.value ->> 'id', '#' || child.ordinality) as child_key,
            '{{ table.list }}.' || checked.field_name as field_name,
        {%- else %}
            null::text as child_key,
            checked.field_name,
        {%- endif %}
        checked.raw_value,
        checked.expected_type,
        raw.extracted_at
    from {{ source(table.source, table.table) }} as raw
    {%- if table.list %}
        cross join lateral jsonb_array_elements(
            case
                when jsonb_typeof(raw.payload -> '{{ table.list }}') = 'array'
                    then raw.payload -> '{{ table.list }}'
                else '[]'::jsonb
            end
        ) with ordinality as child (value, ordinality)
    {%- endif %}
    cross join lateral (
        values
        {%- for name, expr, kind in table.fields %}
            {%- set read = expr | replace('payload', 'raw.payload') | replace('child ', 'child.value ') %}
            ('{{ name }}', {{ read }}, '{{ kind }}', {{ value_is_valid(read, kind) }})
            {{- ',' if not loop.last }}
        {%- endfor %}
    ) as checked (field_name, raw_value, expected_type, is_valid)
    where
        not checked.is_valid
        {%- if table.where %}
            and raw.{{ table.where }}
        {%- endif %}
        {%- if since_watermark %}
            and {{ landed_since_watermark('raw.extracted_at') }}
        {%- endif %}
{%- endmacro %}
