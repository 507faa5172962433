{% macro gid_to_bigint(gid) -%}
    {#- gid://shopify/Order/1001 (optionally ?query) -> 1001; numeric text passes through. A
        number too long for bigint (19+ digits) is null, never an error (value_is_valid 'gid').
        The usual shape (no digit before a last '/', then 1 to 18 digits to the end, or digits
        only) is cut at its last '/' without a capturing regexp_match, which costs several times
        more (several per row in every order-grain model); any other text takes regexp_match,
        and both give the same number. -#}
    case
        when ({{ gid }}) ~ '^([^0-9]*/)?[0-9]{1,18}$' then split_part({{ gid }}, '/', -1)::bigint
        else ((regexp_match({{ gid }}, '(^|[^0-9])([0-9]{1,18})(\?.*)?$'))[2])::bigint
    end
{%- endmacro %}

{% macro shop_money(expr) -%}
    {#- A MoneyBag {"shopMoney": {"amount": "12.34"}} -> numeric amount in shop currency; null
        when the amount does not fit numeric(14, 2) (listed in stg_shopify__rejected_values). -#}
    {{ cast_or_null("(" ~ expr ~ ") -> 'shopMoney' ->> 'amount'", money_type()) }}
{%- endmacro %}

{% macro jsonb_text_array(expr) -%}
    {#- A JSON array of strings -> text[] (empty array when missing). -#}
    coalesce(
        array(select jsonb_array_elements_text(
            case when jsonb_typeof({{ expr }}) = 'array' then {{ expr }} else '[]'::jsonb end
        )),
        array[]::text[]
    )
{%- endmacro %}

{% macro deterministic_uuid(parts) -%}
    {#- A stable uuid primary key from the natural key: md5 of the parts joined with '|'. -#}
    md5(concat_ws('|', {{ parts | join(', ') }}))::uuid
{%- endmacro %}

{% macro decision_log_columns() -%}
    {#- A decision-log record (raw_app.decision_log or its archive) unpacked and typed. -#}
    shop_domain,
    id as decision_id,
    payload ->> 'actor' as actor,
    lower(payload ->> 'scope') as decision_scope,
    payload ->> 'recommendation' as recommendation,
    lower(payload ->> 'decision') as decision,
    {{ cast_or_null("payload ->> 'created_at'", 'timestamptz') }} as created_at,
    updated_at,
    extracted_at
{%- endmacro %}

{% macro cast_or_null(expr, pg_type) -%}
    {#- The text `expr` as `pg_type`, or null when it does not parse (never an error): one bad
        value must not stop the build. What did not parse is listed, with the raw value, by
        stg_shopify__rejected_values. PostgreSQL 16+ answers with pg_input_is_valid; an older
        server with raw_app.input_is_valid (migration 0007). -#}
    case
        when {{ input_is_valid(expr, pg_type) }}
            then ({{ expr }})::{{ pg_type }}
    end
{%- endmacro %}

{% macro input_is_valid(expr, pg_type) -%}
    {#- Whether the text `expr` parses as `pg_type` (null: true), as input_is_valid_function()
        answers. Before PostgreSQL 16 that is a PL/pgSQL function with an exception block per
        call, so the usual spellings (surely_valid_pattern) are answered by a regular expression
        first and only the other texts call it: the same answer, for a fraction of the cost. -#}
    {%- set function = input_is_valid_function() -%}
    {%- set pattern = surely_valid_pattern(pg_type) if function != 'pg_input_is_valid' else none -%}
    {%- if pattern -%}
        (({{ expr }}) ~ '{{ pattern }}' or {{ function }}({{ expr }}, '{{ pg_type }}'))
    {%- else -%}
        {{ function }}({{ expr }}, '{{ pg_type }}')
    {%- endif -%}
{%- endmacro %}

{% macro input_is_valid_by_type(expr, type_expr) -%}
    {#- input_is_valid with the type name an SQL expression (a column): the regular expression of
        that type first (before PostgreSQL 16), then input_is_valid_function(). -#}
    {%- set function = input_is_valid_function() -%}
    {%- if function != 'pg_input_is_valid' -%}
        (
            case {{ type_expr }}
                {%- for pg_type in surely_valid_types() %}
                    when '{{ pg_type }}' then ({{ expr }}) ~ '{{ surely_valid_pattern(pg_type) }}'
                {%- endfor %}
                else false
            end
            or {{ function }}({{ expr }}, {{ type_expr }})
        )
    {%- else -%}
        {{ function }}({{ expr }}, {{ type_expr }})
    {%- endif -%}
{%- endmacro %}

{% macro surely_valid_types() -%}
    {%- do return(['integer', 'bigint', money_type(), 'boolean', 'timestamptz', 'date']) -%}
{%- endmacro %}

{% macro surely_valid_pattern(pg_type) -%}
    {#- A regular expression every text matching which parses as `pg_type` (not every valid text
        matches: those fall through to the real check); none for another type. Timestamps and
        dates: ISO 8601, days 01-28 only (every month has them). -#}
    {%- set day = '[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])' -%}
    {%- do return({
        'integer': '^-?[0-9]{1,9}$',
        'bigint': '^-?[0-9]{1,18}$',
        money_type(): '^-?[0-9]{1,12}(\.[0-9]{1,2})?$',
        'boolean': '^(true|false)$',
        'timestamptz': '^' ~ day ~ 'T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9])$',
        'date': '^' ~ day ~ '$',
    }.get(pg_type)) -%}
{%- endmacro %}

{% macro input_is_valid_function() -%}
    {#- pg_input_is_valid on PostgreSQL 16 and later, else the migration's portable function. -#}
    {%- set version = 160000 -%}
    {%- if execute -%}
        {%- set version = run_query("select current_setting('server_version_num')::int")
            .columns[0].values()[0] -%}
    {%- endif -%}
    {{- 'pg_input_is_valid' if version >= 160000 else 'raw_app.input_is_valid' -}}
{%- endmacro %}

{% macro money_type() -%}
    {#- The SQL type every shop-currency amount is staged as. -#}
    numeric(14, 2)
{%- endmacro %}
