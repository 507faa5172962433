-- Google Analytics 4 (Data API runReport) landing: schema raw_ga4, the landing shape of every raw
-- table. Aggregated traffic only (no user-level data): no redaction trigger is needed.
create schema if not exists raw_ga4;

-- The landing shape of every raw table (0001_baseline/002: columns, primary key
-- (shop_domain, id), index on (shop_domain, updated_at)), copied from one of them.
-- traffic_daily: a runReport row per day x channel group x device x landing page;
-- traffic_hourly: a row per dateHour (today so far against the same time last week).
create table if not exists raw_ga4.traffic_daily (like raw_app.shops including all);
create table if not exists raw_ga4.traffic_hourly (like raw_app.shops including all);

-- As the other raw schemas (0001_baseline/001 and 003): service_role lands, operator and PUBLIC
-- get nothing.
revoke all on schema raw_ga4 from public, operator;
grant usage, create on schema raw_ga4 to service_role;
grant select, insert, update, delete, truncate on all tables in schema raw_ga4 to service_role;
alter default privileges in schema raw_ga4
grant select, insert, update, delete, truncate on tables to service_role;

-- What a run noticed about the answers it landed without failing (GA4: thresholded or sampled
-- reports, a token quota running low); null when nothing.
alter table raw_app.load_ledger add column if not exists notes text;
