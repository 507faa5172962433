-- Shopify webhooks are change notices: a delivery is stored (deduplicated on its
-- X-Shopify-Webhook-Id), then the record it names is fetched from the Admin API and landed.
alter table raw_app.webhook_events add column if not exists event_id text;
alter table raw_app.webhook_events add column if not exists record_gid text;
alter table raw_app.webhook_events add column if not exists attempts integer not null default 0;
alter table raw_app.webhook_events add column if not exists last_error text;

comment on column raw_app.webhook_events.delivery_id is
    'Per-delivery key: X-Shopify-Webhook-Id / X-Chatwoot-Delivery, or a hash of the body';
comment on column raw_app.webhook_events.event_id is
    'X-Shopify-Event-Id: shared by every delivery of one merchant action (grouping only)';
comment on column raw_app.webhook_events.record_gid is
    'Shopify: the GID of the record the delivery names (fetched and landed), null when none';
comment on column raw_app.webhook_events.attempts is
    'Shopify: fetches of the named record tried so far (a failed one is retried)';
comment on column raw_app.webhook_events.last_error is
    'Shopify: why the last fetch failed (the delivery stays pending and is retried)';

-- What the applier drains: named, not applied yet.
create index if not exists webhook_events_pending_idx
    on raw_app.webhook_events (source, shop_domain, received_at)
    where applied_at is null and record_gid is not null;

-- Records deleted in Shopify (delete webhooks): kept with their history, excluded by every model.
alter table raw_shopify.products add column if not exists deleted_at timestamptz;
alter table raw_shopify.customers add column if not exists deleted_at timestamptz;
alter table raw_shopify.orders add column if not exists deleted_at timestamptz;

comment on column raw_shopify.products.deleted_at is
    'When Shopify reported the product deleted (products/delete); null while it exists';
comment on column raw_shopify.customers.deleted_at is
    'When Shopify reported the customer deleted (customers/delete); null while it exists';
comment on column raw_shopify.orders.deleted_at is
    'When Shopify reported the order deleted (orders/delete); null while it exists';
