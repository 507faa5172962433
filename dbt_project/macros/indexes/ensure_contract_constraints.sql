{% macro ensure_contract_constraints() -%}
    {%- if not execute or model.config.materialized != 'incremental' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set not_null = [] -%}
    {%- set primary_key = [] -%}
    {%- for column in model.columns.values() -%}
        {%- for constraint in column.constraints -%}
            {%- if constraint.type in ('not_null', 'primary_key') -%}
                {%- do not_null.append(column.name) -%}
            {%- endif -%}
            {%- if constraint.type == 'primary_key' -%}
                {%- do primary_key.append(column.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    do $ensure$
    declare
        target regclass := '{{ this }}'::regclass;
    begin
        {%- for name in not_null %}
        if not (select attnotnull from pg_attribute where attrelid = target and attname = '{{ name }}') then
            execute 'alter table {{ this }} alter column {{ adapter.quote(name) }} set not null';
        end if;
        {%- endfor %}
        {%- if primary_key %}
        if not exists (select 1 from pg_constraint where conrelid = target and contype = 'p') then
            execute 'alter table {{ this }} add primary key ({{ primary_key | join(", ") }})';
        end if;
        {%- endif %}
        {%- for index in config.get('indexes') or [] %}
        if not exists (
            select 1
            from pg_index as i
            inner join pg_class as c on i.indexrelid = c.oid
            inner join pg_am as am on c.relam = am.oid
            where i.indrelid = target
                and i.indisunique = {{ 'true' if index.get('unique') else 'false' }}
                and am.amname = '{{ index.get('type') or 'btree' }}'
                and (i.indpred is not null) = {{ 'true' if index.get('where') else 'false' }}
                and lower(substring(pg_get_indexdef(i.indexrelid) from '\((.*)\)'))
                like lower('{{ index.columns | join(", ") | replace("'", "''") }}%')
        ) then
            execute {{ "$ddl$" ~ postgres__get_create_index_sql(this, index) ~ "$ddl$" }};
        end if;
        {%- endfor %}
    end
    $ensure$
{%- endmacro %}
