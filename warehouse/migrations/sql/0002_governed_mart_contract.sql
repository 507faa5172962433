-- 0002: the mart layer as a governed contract (issue 15). Applied once.

-- Ordered vocabularies. A contract column of one of these types sorts by meaning, most urgent
-- first: `select * from v_inventory_alerts order by alert_severity` lists critical, high,
-- medium, low. Values compare as text literals (`where severity in ('critical', 'high')`).
create schema vocab;
revoke all on schema vocab from public;
grant usage on schema vocab to operator, service_role;

create type vocab.severity as enum ('critical', 'high', 'medium', 'low');
create type vocab.stock_status as enum ('out_of_stock', 'low_stock', 'overstock', 'in_stock');
create type vocab.freshness_status as enum ('critical', 'stale', 'warn', 'fresh');
create type vocab.check_status as enum ('fail', 'pass');
create type vocab.health_status as enum ('critical', 'warning', 'healthy');
create type vocab.compliance_status as enum ('below_target', 'at_risk', 'meets_target');

-- Decisions moved out of raw_app.decision_log by the 180-day retention (archive_old_audit_logs).
-- Until now the dbt on-run-end hook created it; warehouses built by 0.1 already have it.
create table if not exists raw_app.decision_log_archive (
    like raw_app.decision_log including all,
    archived_at timestamptz not null default now()
);
grant select, insert, update, delete, truncate on raw_app.decision_log_archive to service_role;

-- get_privacy_audit_log() is created by dbt (macro create_hotrod_operations) in the configured
-- mart schema, over the staged privacy audit log.
drop function if exists marts.get_privacy_audit_log();

-- Operator reads the contract views and the relations they select from, nothing else of the
-- mart schema: secure_relation / secure_schema take that set from dbt.
drop function if exists security.secure_schema(text);
drop function if exists security.secure_relation(regclass);
drop function if exists security.relation_is_secure(regclass);

-- True when a relation already has exactly what secure_relation() would give it, so the
-- post-run pass takes no locks on tables dashboards are reading.
create function security.relation_is_secure(rel regclass, operator_reads boolean)
returns boolean
language sql
stable
as $fn$
    select
        not has_table_privilege('public', rel, 'select, insert, update, delete, truncate')
        and has_table_privilege('operator', rel, 'select') = operator_reads
        and not has_table_privilege('operator', rel, 'insert, update, delete, truncate, references, trigger')
        and case c.relkind
            when 'v' then coalesce('security_invoker=true' = any(c.reloptions), false)
            else c.relrowsecurity and c.relforcerowsecurity
                and exists (
                    select 1 from pg_policy as p
                    where p.polrelid = rel and p.polname = 'operator_shop_scope'
                        and (pg_get_expr(p.polqual, p.polrelid) like '%shop_domain%platform%')
                        = exists (
                            select 1 from pg_attribute
                            where attrelid = rel and attname = 'shop_domain' and attnum > 0
                                and not attisdropped
                        )
                )
                and exists (
                    select 1 from pg_policy as p
                    where p.polrelid = rel and p.polname = 'service_all_shops'
                )
        end
    from pg_class as c
    where c.oid = rel
$fn$;

-- Secure one relation of the mart schema. Called by the dbt post-hook of every mart, report and
-- contract model and seed (inside the model's transaction, so a rebuilt table is never visible
-- without its policies) and by security.secure_schema() after each dbt run.
--   table  -> RLS enabled and forced; operator sees rows whose shop_domain is claimed (tables
--             without shop_domain: only with a claim); service_role and the owner see
--             everything. SELECT for operator only when operator_reads.
--   view   -> security_invoker = true, so the caller's RLS applies to the tables underneath;
--             SELECT for operator only when operator_reads.
--   matview-> no RLS possible in Postgres: never granted to operator.
create function security.secure_relation(rel regclass, operator_reads boolean default false)
returns text
language plpgsql
as $fn$
declare
    kind "char";
    owner_name name;
    has_shop boolean;
    scope text;
    writers text;
    access text := case when operator_reads then 'operator reads' else 'operator may not read' end;
begin
    select c.relkind, pg_get_userbyid(c.relowner) into kind, owner_name
    from pg_class as c where c.oid = rel;

    if kind in ('r', 'p') then
        if security.relation_is_secure(rel, operator_reads) then
            return 'table: already secure, ' || access;
        end if;
        select exists (
            select 1 from pg_attribute
            where attrelid = rel and attname = 'shop_domain' and attnum > 0 and not attisdropped
        ) into has_shop;
        scope := case when has_shop
            then 'shop_domain = any ((select security.claimed_shops())::text [])'
                || ' or (shop_domain = ''platform'' and cardinality((select security.claimed_shops())) > 0)'
            else 'cardinality((select security.claimed_shops())) > 0' end;
        writers := case when owner_name = 'service_role'
            then 'service_role' else format('service_role, %I', owner_name) end;
        execute format('alter table %s enable row level security', rel);
        execute format('alter table %s force row level security', rel);
        execute format('drop policy if exists operator_shop_scope on %s', rel);
        execute format(
            'create policy operator_shop_scope on %s for select to operator using (%s)',
            rel, scope
        );
        execute format('drop policy if exists service_all_shops on %s', rel);
        execute format(
            'create policy service_all_shops on %s for all to %s using (true) with check (true)',
            rel, writers
        );
        execute format('revoke all on %s from public, operator', rel);
        if operator_reads then
            execute format('grant select on %s to operator', rel);
        end if;
        execute format('grant select, insert, update, delete, truncate on %s to service_role', rel);
        return case when has_shop then 'table: rls by shop_domain, ' else 'table: rls by claim, ' end
            || access;
    elsif kind = 'v' then
        if security.relation_is_secure(rel, operator_reads) then
            return 'view: already secure, ' || access;
        end if;
        execute format('alter view %s set (security_invoker = true)', rel);
        execute format('revoke all on %s from public, operator', rel);
        if operator_reads then
            execute format('grant select on %s to operator', rel);
        end if;
        execute format('grant select on %s to service_role', rel);
        return 'view: security_invoker, ' || access;
    elsif kind = 'm' then
        execute format('revoke all on %s from public, operator', rel);
        execute format('grant select on %s to service_role', rel);
        return 'materialized view: not granted to operator (no row level security)';
    end if;
    return format('relkind %s: untouched', kind);
end
$fn$;

-- Secure every relation and function of a schema. operator_relations names the relations
-- operator may read (the contract views and what they select from; dbt passes them); every
-- other relation keeps its row level security but loses operator's SELECT. Functions: EXECUTE
-- revoked from PUBLIC; granted to operator when they run as the caller (RLS applies) or, when
-- SECURITY DEFINER, only if their body filters by security.claimed_shops().
create function security.secure_schema(schema_name text, operator_relations text [] default '{}')
returns table (object_name text, action text)
language plpgsql
as $fn$
declare
    r record;
begin
    for r in
        select c.oid::regclass as rel, c.relname from pg_class as c
        where c.relnamespace = schema_name::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
        order by c.relname
    loop
        object_name := r.rel::text;
        action := security.secure_relation(r.rel, r.relname = any(operator_relations));
        return next;
    end loop;

    for r in
        select p.oid::regprocedure as fn, p.prosecdef, p.prosrc
        from pg_proc as p
        where p.pronamespace = schema_name::regnamespace and p.prokind in ('f', 'p')
    loop
        object_name := r.fn::text;
        execute format('revoke all on function %s from public, operator', r.fn);
        if not r.prosecdef or r.prosrc ilike '%claimed_shops%' then
            execute format('grant execute on function %s to operator', r.fn);
            action := case when r.prosecdef then 'function: definer, claim-aware'
                else 'function: invoker' end;
        else
            action := 'function: definer without claim filter, not granted to operator';
        end if;
        execute format('grant execute on function %s to service_role', r.fn);
        return next;
    end loop;
end
$fn$;

revoke all on function security.secure_relation(regclass, boolean) from public;
revoke all on function security.relation_is_secure(regclass, boolean) from public;
revoke all on function security.secure_schema(text, text []) from public;
grant execute on function security.secure_relation(regclass, boolean) to service_role;
grant execute on function security.relation_is_secure(regclass, boolean) to service_role;
grant execute on function security.secure_schema(text, text []) to service_role;
