-- Models incremental by key (issue 17): per dbt model, the moment up to which it has taken every
-- change (the run's start, or the start of the oldest transaction then still open, whichever is
-- earlier, so a landing that committed late is taken by the next run). Written by the model's
-- pre-hook in the model's own transaction: a failed build leaves it where it was.
create table if not exists raw_app.dbt_watermarks (
    model_name text primary key,
    watermark  timestamptz not null,
    written_at timestamptz not null default now()
);
grant select, insert, update, delete, truncate on raw_app.dbt_watermarks to service_role;

-- The rows landed since a watermark, read through an index (the landing stamps extracted_at).
create index if not exists customers_extracted_at_idx on raw_shopify.customers (extracted_at);
create index if not exists conversations_extracted_at_idx on raw_chatwoot.conversations (extracted_at);
create index if not exists messages_extracted_at_idx on raw_chatwoot.messages (extracted_at);
create index if not exists contacts_extracted_at_idx on raw_chatwoot.contacts (extracted_at);
