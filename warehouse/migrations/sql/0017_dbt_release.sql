-- The dbt release the views and seeds were last built from (issue 17): one row per dbt project,
-- written by the daily run after it has built every view and seed of its selection. While the
-- fingerprint matches, an ordinary day's run leaves those code-only nodes out.
create table if not exists raw_app.dbt_release (
    project_name text primary key,
    fingerprint  text not null,
    recorded_at  timestamptz not null default now()
);
grant select, insert, update, delete, truncate on raw_app.dbt_release to service_role;
