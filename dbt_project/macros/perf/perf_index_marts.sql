{% macro perf_index_marts(schema_name='marts') -%}
    {#-
        Performance (issue 9): after each run, every mart table with a shop_domain column gets a
        btree index led by shop_domain (followed by its first date column when it has one), unless
        an index already starts with shop_domain; then the tables are analyzed so the planner
        sees fresh statistics right after a rebuild. Row level security filters on shop_domain
        through an InitPlan, so these indexes serve the operator's queries directly.
    -#}
    do $perf$
    declare
        r record;
    begin
        for r in
            select
                c.oid::regclass as rel,
                c.relname,
                (
                    select a.attname from pg_attribute as a
                    where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                        and a.atttypid = 'date'::regtype
                    order by a.attnum limit 1
                ) as date_column
            from pg_class as c
            where c.relnamespace = '{{ schema_name }}'::regnamespace
                and c.relkind in ('r', 'p')
                and exists (
                    select 1 from pg_attribute as a
                    where a.attrelid = c.oid and a.attname = 'shop_domain'
                        and a.attnum > 0 and not a.attisdropped
                )
                and not exists (
                    select 1 from pg_index as i
                    join pg_attribute as a
                        on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
                    where i.indrelid = c.oid and a.attname = 'shop_domain'
                )
        loop
            execute format(
                'create index if not exists %I on %s (shop_domain%s)',
                left(r.relname, 50) || '_perf_shop_idx',
                r.rel,
                coalesce(', ' || quote_ident(r.date_column), '')
            );
            execute format('analyze %s', r.rel);
        end loop;
    end
    $perf$
{%- endmacro %}
