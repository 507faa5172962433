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
        when {{ input_is_valid_function() }}({{ expr }}, '{{ pg_type }}')
            then ({{ expr }})::{{ pg_type }}
    end
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
