{% macro postgres__persist_docs(relation, model, for_relation, for_columns) -%}
    {#-
        dbt's persist_docs for PostgreSQL in one statement (issue 17: per-node cost). dbt's own
        reads the relation's columns from information_schema twice (once to warn about
        documented columns the relation lacks, once more in alter_column_comment), then sends
        the relation's comment and the columns' comments: four round trips, two slow catalog
        views and two result tables built in dbt's process for every model. Here the relation's
        comment and a DO block that comments each documented column the relation has (looked up
        in pg_attribute) go in one round trip. A documented column the relation lacks is skipped,
        as dbt skips it; the docs tests (tests/dbt/test_views_contract.py) keep both in step.
    -#}
    {%- set statements = [] -%}
    {%- if for_relation and config.persist_relation_docs() and model.description -%}
        {%- do statements.append(alter_relation_comment(relation, model.description)) -%}
    {%- endif -%}
    {%- if for_columns and config.persist_column_docs() and model.columns -%}
        {%- do statements.append(comment_on_documented_columns(relation, model.columns)) -%}
    {%- endif -%}
    {%- if statements -%}
        {%- do run_query(statements | join('\n')) -%}
    {%- endif -%}
{%- endmacro %}


{% macro comment_on_documented_columns(relation, column_dict) -%}
    {#- A DO block: COMMENT ON COLUMN for each column of `column_dict` the relation has. -#}
    do $hotrod_column_docs$
    declare
        documented record;
    begin
        for documented in
            select a.attname, d.description
            from (
                values
                {%- for name, column in column_dict.items() %}
                ({{ "'" ~ ((name if column.get('quote') else name | lower) | replace("'", "''")) ~ "'" }},
                {{ postgres_escape_comment(column.get('description') or '') }}){{ ',' if not loop.last }}
                {%- endfor %}
            ) as d (attname, description)
            inner join pg_catalog.pg_attribute as a
                on
                    a.attrelid = '{{ relation }}'::regclass
                    and a.attname = d.attname
                    and a.attnum > 0
                    and not a.attisdropped
        loop
            execute format(
                'comment on column %s.%I is %L',
                '{{ relation }}'::regclass, documented.attname, documented.description
            );
        end loop;
    end
    $hotrod_column_docs$;
{%- endmacro %}
