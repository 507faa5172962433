{% macro hotrod_index(suffix, definition, unique=false, where=none) -%}
    {#-
        Create the index `<table>_<suffix>` on this relation, idempotently.
        A rebuilt table is swapped in under the old name while the previous table (dropped
        later) still owns an index of the same name, so a plain `create index if not exists`
        would silently skip. Rename such a stale index out of the way first.
    -#}
    {%- set index_name = this.identifier ~ '_' ~ suffix -%}
    do $hotrod_index$
    declare
        stale regclass;
    begin
        select i.indexrelid::regclass into stale
        from pg_index as i
        inner join pg_class as c on i.indexrelid = c.oid
        where c.relname = '{{ index_name }}'
            and c.relnamespace = '{{ this.schema }}'::regnamespace
            and i.indrelid <> '{{ this }}'::regclass;
        if stale is not null then
            execute format(
                'alter index %s rename to %I',
                stale,
                left('{{ index_name }}', 40) || '_old_' || substr(md5(random()::text), 1, 8)
            );
        end if;
        execute $ddl$
            create {{ "unique " if unique }}index if not exists "{{ index_name }}"
            on {{ this }} {{ definition }} {{ "where " ~ where if where }}
        $ddl$;
    end
    $hotrod_index$
{%- endmacro %}
