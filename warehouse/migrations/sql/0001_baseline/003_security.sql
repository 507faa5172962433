-- Security: what `operator` (dashboards) and `service_role` (landing, dbt, Dagster) may do, the
-- shop claim every mart row is filtered by, and the functions dbt hooks call to secure each mart
-- relation as it is (re)built. Idempotent: safe to run on every start.
--
-- Model
--   operator      SELECT on the mart schema only (tables with row level security, views with
--                 security_invoker), EXECUTE on claim-aware functions. No raw_*, staging,
--                 intermediate; no writes; no DDL (no CREATE on any schema, no TEMP).
--   service_role  reads and writes raw_*, builds staging/intermediate/marts; sees every shop.
--   claim         `request.jwt.claims` as PostgREST/Supabase set it, e.g.
--                 {"shop_domain": "a.myshopify.com"}, {"shop_domain": ["a...", "b..."]},
--                 {"shop_domains": [...]}, or the same keys under "app_metadata".
--                 No claim (or no shop in it) -> no rows.

create schema if not exists security;
revoke all on schema security from public;
grant usage on schema security to operator, service_role;

-- Shops the current request may see: every shop named in the JWT claims, deduplicated.
-- STABLE and parameterless: policies call it as `(select security.claimed_shops())`, an InitPlan
-- evaluated once per query instead of once per row.
create or replace function security.claimed_shops()
returns text []
language sql
stable
parallel safe
as $fn$
    with claims as (
        select nullif(current_setting('request.jwt.claims', true), '')::jsonb as doc
    ),

    holders as (
        select doc as h from claims
        union all
        select doc -> 'app_metadata' from claims
    ),

    claimed as (
        select holders.h -> keys.k as v
        from holders
        cross join (values ('shop_domain'), ('shop_domains')) as keys (k)
        where jsonb_typeof(holders.h) = 'object'
    ),

    shops as (
        select claimed.v #>> '{}' as shop from claimed where jsonb_typeof(claimed.v) = 'string'
        union
        select jsonb_array_elements_text(claimed.v) from claimed
        where jsonb_typeof(claimed.v) = 'array'
    )

    select coalesce(array_agg(distinct shop order by shop), '{}')
    from shops
    where shop is not null and shop <> ''
$fn$;

revoke all on function security.claimed_shops() from public;
grant execute on function security.claimed_shops() to operator, service_role;

-- True when a relation already has exactly what secure_relation() would give it, so the
-- post-run pass takes no locks on tables dashboards are reading.
create or replace function security.relation_is_secure(rel regclass)
returns boolean
language sql
stable
as $fn$
    select
        not has_table_privilege('public', rel, 'select, insert, update, delete, truncate')
        and has_table_privilege('operator', rel, 'select')
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

-- Secure one relation of the mart schema. Called by the dbt post-hook of every mart model (inside
-- the model's transaction, so a rebuilt table is never visible without its policies) and by
-- security.secure_schema() after each dbt run.
--   table  -> RLS enabled and forced; operator sees rows whose shop_domain is claimed (tables
--             without shop_domain, i.e. reference seeds: only with a claim); service_role and the
--             owner see everything; SELECT granted to operator only once the policies exist.
--   view   -> security_invoker = true, so the caller's RLS applies to the tables underneath.
--   matview-> no RLS possible in Postgres: never granted to operator.
create or replace function security.secure_relation(rel regclass)
returns text
language plpgsql
as $fn$
declare
    kind "char";
    owner_name name;
    has_shop boolean;
    scope text;
    writers text;
begin
    select c.relkind, pg_get_userbyid(c.relowner) into kind, owner_name
    from pg_class as c where c.oid = rel;

    if kind in ('r', 'p') then
        if security.relation_is_secure(rel) then
            return 'table: already secure';
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
        execute format('grant select on %s to operator', rel);
        execute format('grant select, insert, update, delete, truncate on %s to service_role', rel);
        return case when has_shop then 'table: rls by shop_domain' else 'table: rls by claim' end;
    elsif kind = 'v' then
        if security.relation_is_secure(rel) then
            return 'view: already secure';
        end if;
        execute format('alter view %s set (security_invoker = true)', rel);
        execute format('revoke all on %s from public, operator', rel);
        execute format('grant select on %s to operator', rel);
        execute format('grant select on %s to service_role', rel);
        return 'view: security_invoker';
    elsif kind = 'm' then
        execute format('revoke all on %s from public, operator', rel);
        execute format('grant select on %s to service_role', rel);
        return 'materialized view: not granted to operator (no row level security)';
    end if;
    return format('relkind %s: untouched', kind);
end
$fn$;

-- Secure every relation and function of a schema (default: marts). Functions: EXECUTE revoked
-- from PUBLIC; granted to operator when they run as the caller (RLS applies) or, when SECURITY
-- DEFINER, only if their body filters by security.claimed_shops().
create or replace function security.secure_schema(schema_name text default 'marts')
returns table (object_name text, action text)
language plpgsql
as $fn$
declare
    r record;
begin
    for r in
        select c.oid::regclass as rel from pg_class as c
        where c.relnamespace = schema_name::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
        order by c.relname
    loop
        object_name := r.rel::text;
        action := security.secure_relation(r.rel);
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

revoke all on function security.secure_relation(regclass) from public;
revoke all on function security.relation_is_secure(regclass) from public;
revoke all on function security.secure_schema(text) from public;
grant execute on function security.secure_relation(regclass) to service_role;
grant execute on function security.secure_schema(text) to service_role;

-- No DDL for operator anywhere; PUBLIC loses CREATE on the shared schemas and TEMP.
revoke create on schema public from public;
revoke all on schema public from operator;
revoke create on schema marts from public, operator;
revoke all on schema raw_shopify, raw_chatwoot, raw_app, staging, intermediate, security
from public;
grant usage on schema security to operator, service_role;
grant usage on schema marts to operator;

do $$
begin
    execute format('revoke temporary on database %I from public', current_database());
    execute format('grant temporary on database %I to service_role', current_database());
end
$$;

-- service_role lands raw data: full DML on the raw tables, now and for tables created later by
-- the role that runs this bootstrap.
grant select, insert, update, delete, truncate on all tables in schema raw_shopify, raw_chatwoot,
raw_app to service_role;
grant usage, select on all sequences in schema raw_shopify, raw_chatwoot, raw_app to service_role;
alter default privileges in schema raw_shopify, raw_chatwoot, raw_app
grant select, insert, update, delete, truncate on tables to service_role;
alter default privileges in schema raw_shopify, raw_chatwoot, raw_app
grant usage, select on sequences to service_role;

-- Mart relations already present (e.g. after a bootstrap over an existing warehouse).
select security.secure_schema('marts');
