{% macro secure_schema(schema_name=target.schema) -%}
    {#- on-run-end: secure every relation and function of the mart schema, including ones
        built outside this invocation; operator keeps SELECT only on the contract relations. -#}
    select * from security.secure_schema(
        '{{ schema_name }}',
        array[{% for name in contract_relations() %}'{{ name }}'{{ ", " if not loop.last }}{% endfor %}]::text []
    )
{%- endmacro %}

{% macro prepare_marts_schema(schema_name=target.schema) -%}
    {#- on-run-start: the mart schema (HOTROD_DBT_SCHEMA, default marts) exists, operator may use
        it but create nothing in it, service_role builds in it. -#}
    create schema if not exists {{ adapter.quote(schema_name) }};
    revoke create on schema {{ adapter.quote(schema_name) }} from public;
    grant usage on schema {{ adapter.quote(schema_name) }} to operator;
    grant usage, create on schema {{ adapter.quote(schema_name) }} to service_role
{%- endmacro %}
