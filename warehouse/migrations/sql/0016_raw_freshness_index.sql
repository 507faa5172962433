-- source_freshness (issue 17): per raw table and shop, the rows held, the newest extraction and
-- the newest source update. The (shop_domain, updated_at) index of every raw landing table also
-- carries extracted_at, so the three figures come from an index-only scan of the index instead
-- of a scan of the table (a raw order's row holds its whole payload: ~40 times the index).
do $cover$
declare
    raw record;
begin
    for raw in
        select i.schemaname, i.tablename, i.indexname
        from pg_indexes as i
        where i.schemaname like 'raw\_%'
            and i.indexdef like '% USING btree (shop_domain, updated_at)'
            and exists (
                select 1 from information_schema.columns as c
                where c.table_schema = i.schemaname and c.table_name = i.tablename
                    and c.column_name = 'extracted_at'
            )
    loop
        execute format(
            'create index if not exists %I on %I.%I (shop_domain, updated_at) include (extracted_at)',
            raw.tablename || '_freshness_idx', raw.schemaname, raw.tablename
        );
        execute format('drop index %I.%I', raw.schemaname, raw.indexname);
    end loop;
end
$cover$;
