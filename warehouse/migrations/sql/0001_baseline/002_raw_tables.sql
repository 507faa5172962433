-- Raw landing tables: one per source entity. The API payload is kept whole as jsonb.
-- Primary key (shop_domain, id); `updated_at` decides which payload is newest.
-- Idempotent: safe to run on every start.

create or replace function pg_temp.hotrod_raw_table(schema_name text, table_name text)
returns void language plpgsql as $fn$
begin
    execute format($ddl$
        create table if not exists %I.%I (
            shop_domain  text        not null,
            id           text        not null,
            updated_at   timestamptz not null,
            payload      jsonb       not null,
            extracted_at timestamptz not null default now(),
            batch_id     text        not null,
            primary key (shop_domain, id)
        )$ddl$, schema_name, table_name);
    execute format(
        'create index if not exists %I on %I.%I (shop_domain, updated_at)',
        table_name || '_updated_at_idx', schema_name, table_name
    );
end
$fn$;

select pg_temp.hotrod_raw_table('raw_shopify', t)
from unnest(array[
    'shops', 'locations', 'products', 'inventory_levels', 'orders', 'customers'
]) as t;

select pg_temp.hotrod_raw_table('raw_chatwoot', t)
from unnest(array[
    'conversations', 'messages', 'agents', 'inboxes', 'contacts'
]) as t;

select pg_temp.hotrod_raw_table('raw_app', t)
from unnest(array[
    'shops', 'decision_log', 'ceo_time_entries'
]) as t;

-- Every webhook delivery, verified, before it is applied to the raw entity tables.
create table if not exists raw_app.webhook_events (
    source       text        not null,           -- shopify | chatwoot
    delivery_id  text        not null,           -- X-Shopify-Event-Id / Webhook-Id, or a body hash
    shop_domain  text,
    topic        text        not null,
    received_at  timestamptz not null default now(),
    payload      jsonb       not null,
    applied_at   timestamptz,                    -- when upserted into the raw entity table
    processed_at timestamptz,                    -- when a privacy action / sensor consumed it
    primary key (source, delivery_id)
);
create index if not exists webhook_events_received_idx on raw_app.webhook_events (received_at);

-- Records that could not be parsed: kept with the reason, never dropped silently.
create table if not exists raw_app.quarantine (
    quarantine_id bigserial   primary key,
    source        text        not null,
    entity        text        not null,
    shop_domain   text,
    batch_id      text,
    reason        text        not null,
    raw_text      text        not null,
    quarantined_at timestamptz not null default now()
);

-- Incremental state: cursors and in-flight bulk operations, written after each committed page.
create table if not exists raw_app.extract_state (
    source      text        not null,
    shop_domain text        not null,
    entity      text        not null,
    state       jsonb       not null default '{}'::jsonb,
    updated_at  timestamptz not null default now(),
    primary key (source, shop_domain, entity)
);

-- One row per run and entity: what was read, written, and how the API behaved.
create table if not exists raw_app.load_ledger (
    batch_id         text        not null,
    source           text        not null,
    shop_domain      text        not null,
    entity           text        not null,
    mode             text        not null,       -- bulk | incremental | webhook
    started_at       timestamptz not null,
    finished_at      timestamptz,
    status           text        not null default 'running',
    rows_read        bigint      not null default 0,
    rows_inserted    bigint      not null default 0,
    rows_updated     bigint      not null default 0,
    rows_quarantined bigint      not null default 0,
    api_calls        bigint      not null default 0,
    throttled_waits  bigint      not null default 0,
    latency_p50_ms   numeric,
    latency_p95_ms   numeric,
    duration_s       numeric,
    error            text,
    primary key (batch_id, source, shop_domain, entity)
);

-- Customers whose PII must stay removed (GDPR customers/redact); staging honours it.
create table if not exists raw_app.redactions (
    shop_domain  text        not null,
    customer_id  text        not null,           -- Shopify customer gid
    email        text,
    requested_at timestamptz not null default now(),
    primary key (shop_domain, customer_id)
);
