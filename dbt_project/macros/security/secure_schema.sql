{% macro secure_schema(schema_name='marts') -%}
    {#- on-run-end: secure every relation and function of the mart schema, including ones
        built outside this invocation; a no-op for relations already secure. -#}
    select * from security.secure_schema('{{ schema_name }}')
{%- endmacro %}
