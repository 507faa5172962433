-- Schemas and roles. Idempotent: safe to run on every start.
create schema if not exists raw_shopify;
create schema if not exists raw_chatwoot;
create schema if not exists raw_app;
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;

do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'service_role') then
        create role service_role nologin;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'operator') then
        create role operator nologin;
    end if;
end
$$;

-- The dashboards' role reads the mart schema only.
revoke all on schema raw_shopify, raw_chatwoot, raw_app, staging, intermediate from operator;
grant usage on schema marts to operator;

-- The service role lands raw data and runs transformations.
grant usage, create on schema raw_shopify, raw_chatwoot, raw_app, staging, intermediate, marts
    to service_role;
