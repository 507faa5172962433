{% macro analyze_landed_sources() -%}
    {#- on-run-start: every raw landing table (the raw_* sources) that has changed by a tenth of
        the rows the planner believes it holds (and by at least 1,000 rows) since it was last
        analyzed -- a first load, a backfill -- is analyzed before any model reads it. The
        extractors land by COPY and autovacuum analyzes later, or never where it is off: planned
        from defaults, cx_commerce_links took 386 s instead of seconds at 300,000 orders on such a
        server. An ordinary day's changes stay under the threshold (one catalog lookup). A role
        that may not analyze a table gets PostgreSQL's warning, not an error. -#}
    {%- set tables = [] -%}
    {%- if execute -%}
        {%- for node in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- if node.source_name.startswith('raw_') -%}
                {%- do tables.append(node.schema ~ '.' ~ node.identifier) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if tables -%}
        do $hotrod$
        declare
            stale record;
        begin
            for stale in
                select format('%I.%I', s.schemaname, s.relname) as relation
                from pg_catalog.pg_stat_user_tables as s
                inner join pg_catalog.pg_class as c on s.relid = c.oid
                where
                    s.schemaname || '.' || s.relname = any(array[
                        {%- for t in tables %}'{{ t }}'{{ ',' if not loop.last }}{% endfor -%}
                    ])
                    and s.n_mod_since_analyze >= greatest(1000, 0.1 * greatest(c.reltuples, 0))
                order by 1
            loop
                execute 'analyze ' || stale.relation;
            end loop;
        end
        $hotrod$
    {%- endif -%}
{%- endmacro %}
