-- What the extractors' credentials can see, checked at the start of each run: one row per
-- source, shop and check, replaced by each run (the history is in the run's log and ledger).
create table if not exists raw_app.access_checks (
    source      text        not null,
    shop_domain text        not null,
    check_name  text        not null,
    passed      boolean     not null,
    detail      text        not null,
    batch_id    text,
    checked_at  timestamptz not null default now(),
    primary key (source, shop_domain, check_name)
);
grant select, insert, update, delete, truncate on raw_app.access_checks to service_role;
