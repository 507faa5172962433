{% macro analyze_new_table() -%}
    {#- After-commit post-hook of the staging and intermediate models: a table with no planner
        statistics yet (just created, or rebuilt in full) is analyzed at once, so the models
        that read it next are planned from its real row counts and values instead of defaults
        (autovacuum analyzes a new table only later: a join planned from defaults can take
        minutes instead of seconds). An incremental table that has statistics is left to
        autovacuum, so a small incremental run pays one catalog lookup. Renders no SQL for a
        view. -#}
    {%- if config.get('materialized') in ('table', 'incremental') -%}
        do $hotrod$
        begin
            if not exists (
                select from pg_catalog.pg_stats
                where schemaname = '{{ this.schema }}' and tablename = '{{ this.identifier }}'
            ) then
                execute 'analyze {{ this }}';
            end if;
        end
        $hotrod$
    {%- endif -%}
{%- endmacro %}
