{% macro create_hotrod_operations(force=false) -%}
    {#-
        Creates the SQL functions of SPEC section 5 in the marts schema. Runs as an on-run-end
        hook after `dbt run` / `dbt build` (and on demand: `dbt run-operation create_hotrod_operations`).
        Every function is SECURITY DEFINER with a fixed search_path; when the caller carries a
        PostgREST-style claim (`request.jwt.claims`), results are limited to the claimed shop.
    -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- if not force and flags.WHICH not in ('run', 'build', 'run-operation') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set marts = target.schema -%}
    {%- set retention_days = var('retention_days_audit', 180) | int -%}
    {%- set decisions = model_relation('stg_app__decision_log') -%}
    {%- set archived = model_relation('stg_app__decision_log_archive') -%}
    {%- set privacy_audit = model_relation('stg_warehouse__privacy_audit_log') -%}
    {#- Rows a caller may see: its claimed shops (security.claimed_shops(), issue 8), or every
        shop when the calling role is service_role (or a member of it, e.g. the owner). -#}
    {%- set caller_may_see -%}
        (
            {shop} = any(security.claimed_shops())
            or pg_has_role(
                coalesce(nullif(current_setting('role'), 'none'), session_user::text)::name,
                'service_role',
                'member'
            )
        )
    {%- endset -%}
    {#- Every decision, live and archived, as staged: one shape for the two audit functions. -#}
    {%- set all_decisions -%}
        select
            decision_id, shop_domain, actor, decision_scope, recommendation, decision,
            coalesce(created_at, updated_at) as created_at, false as is_archived
        from {{ decisions }}
        union all
        select
            decision_id, shop_domain, actor, decision_scope, recommendation, decision,
            coalesce(created_at, updated_at) as created_at, true as is_archived
        from {{ archived }}
    {%- endset -%}
    {%- set sql -%}
-- Bodies are checked when called, not now: a partial build may not have built what they read yet.
set check_function_bodies = off;

create or replace function {{ marts }}.get_shop_audit_trail(p_shop_domain text)
returns table (
    decision_id text,
    shop_domain text,
    actor text,
    scope text,
    recommendation text,
    decision text,
    created_at timestamptz,
    is_archived boolean
)
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $fn$
    select d.*
    from ({{ all_decisions }}) as d
    where d.shop_domain = p_shop_domain
        and {{ caller_may_see | replace('{shop}', 'd.shop_domain') }}
    order by d.created_at desc, d.decision_id
$fn$;

create or replace function {{ marts }}.export_audit_logs(p_start_date date, p_end_date date)
returns table (
    decision_id text,
    shop_domain text,
    actor text,
    scope text,
    recommendation text,
    decision text,
    created_at timestamptz,
    is_archived boolean
)
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $fn$
    select d.*
    from ({{ all_decisions }}) as d
    where d.created_at >= (p_start_date::timestamp at time zone 'UTC')
        and d.created_at < ((p_end_date + 1)::timestamp at time zone 'UTC')
        and {{ caller_may_see | replace('{shop}', 'd.shop_domain') }}
    order by d.created_at, d.shop_domain, d.decision_id
$fn$;

create or replace function {{ marts }}.archive_old_audit_logs()
returns integer
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $fn$
declare
    moved_count integer;
begin
    with moved as (
        delete from raw_app.decision_log as d
        where coalesce((d.payload ->> 'created_at')::timestamptz, d.updated_at)
            < now() - interval '{{ retention_days }} days'
        returning d.*
    ),
    archived as (
        insert into raw_app.decision_log_archive
            (shop_domain, id, updated_at, payload, extracted_at, batch_id, archived_at)
        select shop_domain, id, updated_at, payload, extracted_at, batch_id, now()
        from moved
        on conflict (shop_domain, id) do update
            set updated_at = excluded.updated_at,
                payload = excluded.payload,
                extracted_at = excluded.extracted_at,
                batch_id = excluded.batch_id,
                archived_at = excluded.archived_at
    )
    select count(*) into moved_count from moved;
    return moved_count;
end
$fn$;

create or replace function {{ marts }}.run_data_quality_checks()
returns table (
    shop_domain text,
    status text,
    checks_run integer,
    checks_passed integer,
    checks_failed integer,
    failing_rows bigint,
    summary text
)
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $fn$
begin
    return query
    select
        c.shop_domain,
        case when count(*) filter (where c.status = 'fail') = 0 then 'pass' else 'fail' end,
        count(*)::integer,
        (count(*) filter (where c.status = 'pass'))::integer,
        (count(*) filter (where c.status = 'fail'))::integer,
        coalesce(sum(c.failing_rows), 0)::bigint,
        case
            when count(*) filter (where c.status = 'fail') = 0
                then 'all ' || count(*) || ' checks passed'
            else (count(*) filter (where c.status = 'fail')) || ' of ' || count(*)
                || ' checks failed: '
                || string_agg(c.check_name || ' (' || c.failing_rows || ')', ', ' order by c.check_id)
                    filter (where c.status = 'fail')
        end
    from {{ model_relation('v_data_quality_comprehensive') }} as c
    where {{ caller_may_see | replace('{shop}', 'c.shop_domain') }}
    group by c.shop_domain
    order by c.shop_domain;
end
$fn$;

-- The privacy audit trail as the dashboards may see it: the claimed shops' rows only.
create or replace function {{ marts }}.get_privacy_audit_log()
returns table (
    audit_id bigint,
    action text,
    shop_domain text,
    subject text,
    actor text,
    requested_at timestamptz,
    performed_at timestamptz,
    status text,
    counts jsonb
)
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $fn$
    select
        a.audit_id, a.action, a.shop_domain, a.subject, a.actor, a.requested_at,
        a.performed_at, a.status, a.counts
    from {{ privacy_audit }} as a
    where a.shop_domain = any(security.claimed_shops())
    order by a.performed_at desc, a.audit_id desc
$fn$;

revoke all on function {{ marts }}.get_privacy_audit_log() from public;
grant execute on function {{ marts }}.get_privacy_audit_log() to operator, service_role;
revoke all on function {{ marts }}.get_shop_audit_trail(text) from public;
revoke all on function {{ marts }}.export_audit_logs(date, date) from public;
revoke all on function {{ marts }}.archive_old_audit_logs() from public;
revoke all on function {{ marts }}.run_data_quality_checks() from public;
grant execute on function {{ marts }}.get_shop_audit_trail(text) to service_role, operator;
grant execute on function {{ marts }}.export_audit_logs(date, date) to service_role, operator;
grant execute on function {{ marts }}.run_data_quality_checks() to service_role, operator;
grant execute on function {{ marts }}.archive_old_audit_logs() to service_role;
reset check_function_bodies;
    {%- endset -%}
    {%- if flags.WHICH == 'run-operation' -%}
        {%- do run_query(sql) -%}
        {%- do log('created get_shop_audit_trail, archive_old_audit_logs, export_audit_logs, run_data_quality_checks, get_privacy_audit_log in ' ~ marts, info=true) -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(sql) }}
{%- endmacro %}

{% macro model_relation(name) -%}
    {#- `schema`.`relation` of the project's model `name`, from the graph (no database part, so
        function bodies keep working in a restored copy of the warehouse). -#}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.name == name -%}
            {{ return(adapter.quote(node.schema) ~ '.' ~ adapter.quote(node.alias or node.name)) }}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error('no model named ' ~ name) }}
{%- endmacro %}
