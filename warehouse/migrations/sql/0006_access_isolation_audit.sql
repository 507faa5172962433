-- 0006: shop isolation a SQL user cannot widen; who read what (issue 16). Applied once.
--
-- Two ways in, both closed:
--   direct SQL  a tenant login role (member of operator) sees the shops mapped to a role its
--               SESSION user belongs to (security.tenant_shops). session_user cannot be changed
--               by set role / reset role / a function, and no GUC is consulted.
--   gateway     sessions whose session user is the gateway role `authenticator` (or a member of
--               it; PostgREST/Supabase log in as it and `set local role operator`) honour
--               `request.jwt.claims`, as before. Superusers count as members of every role.
-- Everyone else: no shop, no rows.

-- The gateway role. NOLOGIN until an administrator gives it a password
-- (`hotrod access gateway` or `alter role authenticator login password ...`); NOINHERIT, so it
-- reads nothing until it switches role.
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'authenticator') then
        create role authenticator nologin noinherit;
    end if;
end
$$;
grant operator to authenticator;

-- Which shops a tenant login role may see. Only service_role (and the owner) write it.
create table security.tenant_shops (
    role_name   name        not null,
    shop_domain text        not null,
    granted_at  timestamptz not null default now(),
    granted_by  text        not null,
    primary key (role_name, shop_domain)
);
comment on table security.tenant_shops is
'Shops each tenant login role (member of operator) may read; written by `hotrod access grant`.';
revoke all on security.tenant_shops from public, operator, authenticator;
grant select, insert, update, delete on security.tenant_shops to service_role;

-- The shops of the current session: mapped shops of the tenant roles the session user belongs
-- to, plus the JWT claim when the session user is the gateway. SECURITY DEFINER (reads the
-- mapping table, which operator cannot), STABLE and parameterless: policies call it as
-- `(select security.claimed_shops())`, an InitPlan evaluated once per query.
create or replace function security.claimed_shops()
returns text []
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $fn$
    with me as (
        select r.oid, r.rolsuper from pg_catalog.pg_roles as r where r.rolname = session_user
    ),

    mapped as (
        select t.shop_domain as shop
        from security.tenant_shops as t
        inner join pg_catalog.pg_roles as r on r.rolname = t.role_name
        cross join me
        where not me.rolsuper and pg_catalog.pg_has_role(me.oid, r.oid, 'MEMBER')
    ),

    claims as (
        select nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb as doc
        from me
        where pg_catalog.pg_has_role(me.oid, 'authenticator', 'MEMBER')
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
        where pg_catalog.jsonb_typeof(holders.h) = 'object'
    ),

    shops as (
        select claimed.v #>> '{}' as shop from claimed
        where pg_catalog.jsonb_typeof(claimed.v) = 'string'
        union
        select pg_catalog.jsonb_array_elements_text(claimed.v) from claimed
        where pg_catalog.jsonb_typeof(claimed.v) = 'array'
        union
        select shop from mapped
    )

    select coalesce(pg_catalog.array_agg(distinct shop order by shop), '{}')
    from shops
    where shop is not null and shop <> ''
$fn$;
revoke all on function security.claimed_shops() from public;
grant execute on function security.claimed_shops() to operator, service_role;

-- Who granted or revoked what (`hotrod access grant|revoke`). No password is ever stored.
create table raw_app.access_grant_log (
    grant_id     bigserial   primary key,
    performed_at timestamptz not null default now(),
    actor        text        not null,
    action       text        not null check (action in ('create_role', 'grant', 'revoke', 'drop_role', 'gateway_password')),
    role_name    text        not null,
    shops        text []     not null default '{}'
);
revoke all on raw_app.access_grant_log from public;
grant select, insert on raw_app.access_grant_log to service_role;
grant update (shops) on raw_app.access_grant_log to service_role;  -- shop redaction: digest only
grant usage on sequence raw_app.access_grant_log_grant_id_seq to service_role;

-- Reads of the contract by operator roles, ingested from the server's CSV log by the daily job
-- (warehouse/access/ingest.py): one row per (log line, relation it names). The statement text
-- is not kept (it may hold literals such as an e-mail address).
create table raw_app.access_audit_log (
    session_id    text        not null,
    session_line  bigint      not null,
    relation_name text        not null,
    logged_at     timestamptz not null,
    role_name     text        not null,
    command       text        not null,
    rows_read     bigint,
    pii           boolean     not null,
    log_file      text        not null,
    ingested_at   timestamptz not null default now(),
    primary key (session_id, session_line, relation_name)
);
create index access_audit_log_logged_idx on raw_app.access_audit_log (logged_at);

-- How far each server log file has been read, per warehouse database.
create table raw_app.access_log_files (
    log_file   text        primary key,
    bytes_read bigint      not null,
    updated_at timestamptz not null default now()
);

create view raw_app.v_access_audit_7d as
select
    role_name,
    relation_name,
    bool_or(pii) as pii,
    count(*) as reads,
    sum(rows_read) as rows_read,
    count(rows_read) as reads_with_row_count,
    min(logged_at) as first_read_at,
    max(logged_at) as last_read_at
from raw_app.access_audit_log
where logged_at >= now() - interval '7 days'
group by role_name, relation_name;
comment on view raw_app.v_access_audit_7d is
'Reads of the contract by operator roles over the last 7 days, per role and relation; pii: the relation carries personal data.';

revoke all on raw_app.access_audit_log, raw_app.access_log_files, raw_app.v_access_audit_7d
from public;
grant select, insert, update, delete on raw_app.access_audit_log, raw_app.access_log_files
to service_role;
grant select on raw_app.v_access_audit_7d to service_role;

-- Statement logging for the gateway role (tenant roles get it from `hotrod access grant`).
-- Setting log_statement per role needs a superuser (or, from Postgres 15, `grant set on
-- parameter log_statement`); without it the audit of gateway reads is off, said once here.
do $$
begin
    alter role authenticator set log_statement = 'all';
exception when insufficient_privilege then
    raise notice 'access audit: cannot set log_statement for authenticator (needs a superuser): %', sqlerrm;
end
$$;
