-- raw_app.input_is_valid(value, type_name): does the text parse as that type? The staging macro
-- cast_or_null uses PostgreSQL's own pg_input_is_valid on servers 16 and later; on older servers
-- (an external PostgreSQL 14 or 15: RDS, Supabase, a distribution's package) it calls this
-- function instead, which tries the cast and answers false on any error, never raising.
create or replace function raw_app.input_is_valid(value text, type_name text)
returns boolean
language plpgsql
stable
as $$
begin
    if value is null then
        return true;
    end if;
    execute format('select %L::%s', value, type_name);
    return true;
exception when others then
    return false;
end
$$;

comment on function raw_app.input_is_valid(text, text) is
    'True when the text parses as the type (pg_input_is_valid for servers before PostgreSQL 16).';

-- dbt (the owner) calls it while building staging; no reader role needs it
revoke execute on function raw_app.input_is_valid(text, text) from public;
