{% macro repoint_dependent_views() -%}
    {#-
        Post-hook of every model (doc block `view_swap`). dbt rebuilds a table or view beside the
        old one, renames the old one to `<name>__dbt_backup`, renames the new one into place and,
        after COMMIT, drops the backup with CASCADE. Postgres views bind to a relation's OID, not
        its name, so every view over the old relation would follow it into the backup and die
        with it. Inside the model's transaction, before COMMIT, this hook recreates each such view
        (`create or replace view`, same name, options and grants) over the new relation, so a
        dashboard never finds a view missing. When the new relation no longer fits a view (a
        column it reads was removed or retyped), the backup is kept under `<name>__hotrod_stale`
        and the view keeps reading it until its own model rebuilds it later in the run; the
        on-run-end hook `drop_stale_relations` removes stale relations nothing reads any more.
    -#}
    {%- if not execute or model.config.materialized not in ('table', 'incremental', 'view') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set relation_type = 'view' if model.config.materialized == 'view' else 'table' -%}
    {%- set backup = make_backup_relation(this.incorporate(type=relation_type), relation_type) -%}
    do $repoint$
    declare
        old_relation regclass := to_regclass('{{ backup }}');
        dependent record;
    begin
        if old_relation is null then
            return;
        end if;
        for dependent in
            select distinct
                v.oid::regclass as view_name,
                pg_get_viewdef(v.oid) as definition,
                coalesce(array_to_string(v.reloptions, ', '), '') as options
            from pg_depend as d
            inner join pg_rewrite as r on d.objid = r.oid
            inner join pg_class as v on r.ev_class = v.oid
            where d.classid = 'pg_rewrite'::regclass
                and d.refclassid = 'pg_class'::regclass
                and d.refobjid = old_relation
                and v.oid <> old_relation
                and v.relkind = 'v'
        loop
            begin
                execute format(
                    'create or replace view %s %s as %s',
                    dependent.view_name,
                    case when dependent.options <> '' then 'with (' || dependent.options || ')' end,
                    replace(dependent.definition, '{{ backup.identifier }}', '{{ this.identifier }}')
                );
            exception when others then
                raise warning 'view % still reads the previous %: %',
                    dependent.view_name, '{{ this }}', sqlerrm;
                execute format(
                    'alter %s %s rename to %I',
                    '{{ relation_type }}', old_relation,
                    left('{{ this.identifier }}', 40) || '__hotrod_stale_' || substr(md5(random()::text), 1, 6)
                );
                return;
            end;
        end loop;
    end
    $repoint$
{%- endmacro %}

{% macro drop_stale_relations(schema_name=target.schema) -%}
    {#- on-run-end: drop relations left by repoint_dependent_views once no view reads them. -#}
    do $stale$
    declare
        stale record;
    begin
        for stale in
            select c.oid::regclass as name, c.relkind
            from pg_class as c
            where c.relnamespace = '{{ schema_name }}'::regnamespace
                and c.relname like '%\_\_hotrod\_stale\_%'
                and c.relkind in ('r', 'v')
                and not exists (
                    select 1
                    from pg_depend as d
                    inner join pg_rewrite as r on d.objid = r.oid
                    where d.classid = 'pg_rewrite'::regclass
                        and d.refobjid = c.oid
                        and r.ev_class <> c.oid
                )
        loop
            execute format(
                'drop %s %s', case stale.relkind when 'v' then 'view' else 'table' end, stale.name
            );
        end loop;
    end
    $stale$
{%- endmacro %}

{% macro recache_dependent_views() -%}
    {#-
        After-commit post-hook of every model, the companion of repoint_dependent_views: dbt's
        relation cache believes the views over a rebuilt relation were dropped with its backup
        (CASCADE), so a later model in the same run would try to create them as new. Tell the
        cache that the views reading the new relation exist. Renders no SQL.
    -#}
    {%- if execute and model.config.materialized in ('table', 'incremental', 'view') -%}
        {%- set found = run_query(
            "select n.nspname, v.relname from pg_depend as d"
            ~ " inner join pg_rewrite as r on d.objid = r.oid"
            ~ " inner join pg_class as v on r.ev_class = v.oid"
            ~ " inner join pg_namespace as n on v.relnamespace = n.oid"
            ~ " where d.classid = 'pg_rewrite'::regclass and v.relkind = 'v'"
            ~ " and d.refobjid = to_regclass('" ~ this ~ "') and v.oid <> d.refobjid"
        ) -%}
        {%- for row in found -%}
            {%- do adapter.cache_added(api.Relation.create(
                database=this.database, schema=row[0], identifier=row[1], type='view'
            )) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{% macro postgres__rename_relation(from_relation, to_relation) -%}
    {#-
        dbt's rename, preceded by an ACCESS EXCLUSIVE lock on every view over the relation,
        taken view first. A reader locks a view, then the table under it; the rebuild renames
        the table and then (repoint_dependent_views) recreates the view. Without this lock the
        two could each hold what the other waits for (a deadlock that aborts the reader); with
        it, readers that come during the swap wait on the view and then read the new rows.
    -#}
    {% set target_name = adapter.quote_as_configured(to_relation.identifier, 'identifier') %}
    {% call statement('rename_relation') -%}
        do $lock_views$
        declare
            dependent record;
        begin
            for dependent in
                select distinct v.oid, v.oid::regclass as view_name
                from pg_depend as d
                inner join pg_rewrite as r on d.objid = r.oid
                inner join pg_class as v on r.ev_class = v.oid
                where d.classid = 'pg_rewrite'::regclass
                    and d.refobjid = to_regclass('{{ from_relation.render() }}')
                    and v.oid <> d.refobjid
                    and v.relkind = 'v'
                order by v.oid
            loop
                execute format('lock table %s in access exclusive mode', dependent.view_name);
            end loop;
        end
        $lock_views$;
        alter table {{ from_relation.render() }} rename to {{ target_name }}
    {%- endcall %}
{%- endmacro %}
