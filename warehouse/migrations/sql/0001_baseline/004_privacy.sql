-- Privacy (GDPR): what has been redacted, the audit trail of privacy actions, exports, and the
-- database-side guarantee that redacted data stays redacted: statement-level AFTER INSERT/UPDATE
-- triggers on the raw tables scrub payloads of redacted customers and delete rows of redacted
-- shops, whoever lands them (extractors, webhooks, a manual COPY). See docs/security.md.
-- Idempotent: safe to run on every start.

-- Identifiers of redacted customers, besides raw_app.redactions (customer gid): Chatwoot
-- contacts and conversations found for them, their orders, and SHA-256 digests of their e-mail
-- and phone (never the values themselves: a scan for the PII must find nothing).
create table if not exists raw_app.redaction_subjects (
    shop_domain text not null,
    customer_id text not null,
    kind        text not null,   -- customer | customer_number | contact | conversation | order
                                 -- | email_sha256 | phone_sha256
    value       text not null,
    primary key (shop_domain, kind, value)
);
alter table raw_app.redaction_subjects add column if not exists subject_key text
generated always as (kind || ':' || value) stored;
create index if not exists redaction_subjects_key_idx
on raw_app.redaction_subjects (shop_domain, subject_key);
create index if not exists redaction_subjects_any_shop_idx
on raw_app.redaction_subjects (subject_key);

-- Shops whose data was removed (shop/redact), by SHA-256 of the domain: rows landed for them
-- later are dropped. The domain itself is not kept anywhere.
create table if not exists raw_app.redacted_shops (
    shop_sha256 text        primary key,
    redacted_at timestamptz not null default now()
);

-- One row per privacy action: who, what, when, how many rows.
create table if not exists raw_app.privacy_audit_log (
    audit_id     bigserial   primary key,
    action       text        not null,   -- export_customer | redact_customer | redact_shop
    shop_domain  text,                   -- null for redact_shop (subject holds its digest)
    subject      text        not null,   -- customer gid, or sha256:<digest> of a redacted shop
    actor        text        not null,   -- webhook:<delivery id> | cli:<user> | <caller>
    requested_at timestamptz,
    performed_at timestamptz not null default now(),
    status       text        not null default 'done',
    counts       jsonb       not null default '{}'::jsonb,
    detail       text
);
create index if not exists privacy_audit_log_performed_idx
on raw_app.privacy_audit_log (performed_at);

-- Exports produced for customers/data_request; deleted when the customer is redacted.
create table if not exists raw_app.privacy_exports (
    export_id   bigserial   primary key,
    shop_domain text        not null,
    customer_id text        not null,
    actor       text        not null,
    created_at  timestamptz not null default now(),
    file_path   text,
    document    jsonb       not null
);
create index if not exists privacy_exports_customer_idx
on raw_app.privacy_exports (shop_domain, customer_id);

grant select, insert, update, delete on raw_app.redaction_subjects, raw_app.redacted_shops,
raw_app.privacy_audit_log, raw_app.privacy_exports to service_role;
grant usage, select on all sequences in schema raw_app to service_role;

create or replace function security.sha256_text(value text)
returns text
language sql
immutable
strict
parallel safe
as $fn$
    select case when value is null or btrim(value) = '' then null
        else encode(sha256(convert_to(value, 'UTF8')), 'hex') end
$fn$;

create or replace function security.email_digest(email text)
returns text
language sql
immutable
strict
parallel safe
as $fn$
    select security.sha256_text(lower(btrim(email)))
$fn$;

-- Phones compare by their last 10 digits, so "+1 (555) 010-2030" and "5550102030" match.
create or replace function security.phone_digest(phone text)
returns text
language sql
immutable
strict
parallel safe
as $fn$
    select security.sha256_text(right(regexp_replace(coalesce(phone, ''), '\D', '', 'g'), 10))
$fn$;

-- Null every personal value in a payload, at any depth. `name` is personal only inside a person
-- (a customer, an address, a Chatwoot sender/contact): an order's `name` (#1001) is kept.
create or replace function security.scrub_pii(doc jsonb, in_person boolean default false)
returns jsonb
language sql
immutable
parallel safe
as $fn$
    select case jsonb_typeof(doc)
        when 'object' then coalesce((
            select jsonb_object_agg(
                e.key,
                case
                    when e.key in (
                        'email', 'emailAddress', 'contact_email', 'contactEmail', 'phone',
                        'phoneNumber', 'phone_number', 'firstName', 'lastName', 'first_name',
                        'last_name', 'displayName', 'display_name', 'address1', 'address2',
                        'city', 'zip', 'latitude', 'longitude', 'company', 'identifier',
                        'content', 'note', 'thumbnail', 'avatar_url', 'browser_ip',
                        'defaultEmailAddress', 'defaultPhoneNumber'
                    ) and e.value <> 'null'::jsonb then 'null'::jsonb
                    when in_person and e.key = 'name' then 'null'::jsonb
                    else security.scrub_pii(
                        e.value,
                        in_person or e.key in (
                            'customer', 'defaultAddress', 'billingAddress', 'shippingAddress',
                            'default_address', 'billing_address', 'shipping_address',
                            'addresses', 'sender', 'contact'
                        )
                    )
                end
            )
            from jsonb_each(doc) as e
        ), '{}'::jsonb)
        when 'array' then coalesce((
            select jsonb_agg(security.scrub_pii(a.value, in_person) order by a.ordinality)
            from jsonb_array_elements(doc) with ordinality as a
        ), '[]'::jsonb)
        else doc
    end
$fn$;

drop function if exists security.belongs_to_redacted(text, text, text, jsonb);
drop function if exists security.is_subject(text, text, text);

-- The keys (`kind:value`) by which a raw row can belong to a redacted customer; matched against
-- raw_app.redaction_subjects.subject_key with one index probe. `row_key` is the row's id (for
-- webhook_events: its topic). An inlinable SQL expression: cheap enough for every landed row.
create or replace function security.subject_keys(entity text, row_key text, doc jsonb)
returns text []
language sql
immutable
parallel safe
as $fn$
    select array_remove(case entity
        when 'customers' then array[
            'customer:' || row_key,
            'email_sha256:' || security.email_digest(doc #>> '{defaultEmailAddress,emailAddress}')
        ]
        when 'orders' then array[
            'order:' || row_key,
            'customer:' || (doc #>> '{customer,id}'),
            'email_sha256:' || security.email_digest(doc ->> 'email')
        ]
        when 'contacts' then array[
            'contact:' || row_key,
            'customer_number:' || (doc #>> '{custom_attributes,shopify_customer_id}'),
            'email_sha256:' || security.email_digest(doc ->> 'email'),
            'phone_sha256:' || security.phone_digest(doc ->> 'phone_number')
        ]
        when 'conversations' then array[
            'conversation:' || row_key,
            'contact:' || (doc #>> '{meta,sender,id}'),
            'contact:' || (doc ->> 'contact_id'),
            'email_sha256:' || security.email_digest(doc #>> '{meta,sender,email}')
        ]
        when 'messages' then array[
            'conversation:' || (doc ->> 'conversation_id'),
            case when doc ->> 'sender_type' = 'Contact' then 'contact:' || (doc ->> 'sender_id') end
        ]
        when 'webhook_events' then array[
            'customer:' || (doc ->> 'admin_graphql_api_id'),
            'order:' || (doc ->> 'admin_graphql_api_id'),
            'customer:' || (doc #>> '{graphql_node,id}'),
            'order:' || (doc #>> '{graphql_node,id}'),
            'customer:' || (doc #>> '{graphql_node,customer,id}'),
            'customer:' || (doc #>> '{customer,admin_graphql_api_id}'),
            'customer_number:' || (doc #>> '{customer,id}'),
            'contact:' || (doc #>> '{meta,sender,id}'),
            'contact:' || (doc #>> '{contact,id}'),
            case when doc #>> '{sender,type}' = 'contact' then 'contact:' || (doc #>> '{sender,id}') end,
            case when row_key like 'contact%' then 'contact:' || (doc ->> 'id') end,
            case when row_key like 'conversation%' then 'conversation:' || (doc ->> 'id') end,
            'conversation:' || (doc #>> '{conversation,id}'),
            'conversation:' || (doc ->> 'conversation_id'),
            'email_sha256:' || security.email_digest(doc ->> 'email'),
            'email_sha256:' || security.email_digest(doc #>> '{customer,email}'),
            'email_sha256:' || security.email_digest(doc #>> '{meta,sender,email}'),
            'email_sha256:' || security.email_digest(
                doc #>> '{graphql_node,defaultEmailAddress,emailAddress}'
            )
        ]
        else array[]::text []
    end, null)
$fn$;

drop function if exists security.is_redacted(text, text []);

-- The payload columns' scrubbing context: customers and contacts are persons at the top level.
create or replace function security.is_person(entity text)
returns boolean
language sql
immutable
parallel safe
as $fn$
    select entity in ('customers', 'contacts')
$fn$;

-- Subject keys per shop (null shop: every key), for set-based matching.
create or replace function security.keyset(shop text)
returns text []
language sql
stable
as $fn$
    select coalesce(array_agg(subject_key), '{}')
    from raw_app.redaction_subjects
    where shop is null or shop_domain = shop
$fn$;

-- Scrub every raw row of one shop that belongs to one of its redacted customers (first recording
-- the Chatwoot contacts and conversations found for them). Set-based; returns rows changed per
-- table. Used by the privacy actions and by the triggers when new contacts/conversations match.
create or replace function security.apply_redactions(shop text)
returns jsonb
language plpgsql
as $fn$
declare
    counts jsonb := '{}';
    n bigint;
    t record;
begin
    insert into raw_app.redaction_subjects (shop_domain, customer_id, kind, value)
    select c.shop_domain, s.customer_id, 'contact', c.id
    from raw_chatwoot.contacts as c
    cross join lateral (
        select s.customer_id from raw_app.redaction_subjects as s
        where s.shop_domain = c.shop_domain
            and s.subject_key = any(security.subject_keys('contacts', c.id, c.payload))
        limit 1
    ) as s
    where c.shop_domain = shop
    on conflict do nothing;

    insert into raw_app.redaction_subjects (shop_domain, customer_id, kind, value)
    select c.shop_domain, s.customer_id, 'conversation', c.id
    from raw_chatwoot.conversations as c
    cross join lateral (
        select s.customer_id from raw_app.redaction_subjects as s
        where s.shop_domain = c.shop_domain
            and s.subject_key = any(security.subject_keys('conversations', c.id, c.payload))
        limit 1
    ) as s
    where c.shop_domain = shop
    on conflict do nothing;

    for t in
        select * from (values
            ('raw_shopify', 'customers', 'id'), ('raw_shopify', 'orders', 'id'),
            ('raw_chatwoot', 'contacts', 'id'), ('raw_chatwoot', 'conversations', 'id'),
            ('raw_chatwoot', 'messages', 'id'), ('raw_app', 'webhook_events', 'topic')
        ) as v (schema_name, table_name, key_column)
    loop
        execute format(
            $q$
            with matched as materialized (
                select r.ctid as row_ref, r.payload
                from %1$I.%2$I as r
                where (r.shop_domain = $1 or (%3$L = 'webhook_events' and r.shop_domain is null))
                    and security.subject_keys(%3$L, r.%4$I, r.payload)
                    && (select security.keyset($1))
            ),

            hits as materialized (
                select
                    matched.row_ref,
                    matched.payload,
                    security.scrub_pii(matched.payload, security.is_person(%3$L)) as scrubbed
                from matched
            )

            update %1$I.%2$I as r
            set payload = hits.scrubbed
            from hits
            where r.ctid = hits.row_ref and hits.scrubbed <> hits.payload
            $q$,
            t.schema_name, t.table_name, t.table_name, t.key_column
        ) using shop;
        get diagnostics n = row_count;
        if n > 0 then
            counts := counts || jsonb_build_object(t.schema_name || '.' || t.table_name, n);
        end if;
    end loop;
    return counts;
end
$fn$;

-- Statement-level guard (AFTER INSERT / AFTER UPDATE, transition table `landed`): rows of a
-- redacted shop are deleted; rows of a redacted customer are scrubbed. Set-based, so a bulk
-- landing pays one join, and nothing at all while no redaction exists.
create or replace function security.redaction_sweep()
returns trigger
language plpgsql
as $fn$
declare
    key_column text := case when tg_table_name = 'webhook_events' then 'topic' else 'id' end;
    row_column text := case when tg_table_name = 'webhook_events' then 'delivery_id' else 'id' end;
    has_subjects boolean := exists (select 1 from raw_app.redaction_subjects);
    n bigint;
    shop text;
begin
    -- (an UPDATE of no rows still fires statement triggers: stop here, or the sweep's own
    -- updates would recurse forever)
    if not exists (select 1 from landed) then
        return null;
    end if;
    if exists (select 1 from raw_app.redacted_shops) then
        execute format(
            $q$
            delete from %I.%I as r
            where r.shop_domain in (
                select distinct l.shop_domain from landed as l
                where security.sha256_text(l.shop_domain)
                    in (select shop_sha256 from raw_app.redacted_shops)
            )
            $q$,
            tg_table_schema, tg_table_name
        );
    end if;
    if not has_subjects or tg_table_name not in (
        'customers', 'orders', 'contacts', 'conversations', 'messages', 'webhook_events'
    ) then
        return null;
    end if;

    if tg_table_name in ('contacts', 'conversations') then
        execute format(
            $q$
            insert into raw_app.redaction_subjects (shop_domain, customer_id, kind, value)
            select l.shop_domain, s.customer_id, %1$L, l.id
            from landed as l
            cross join lateral (
                select s.customer_id from raw_app.redaction_subjects as s
                where s.shop_domain = l.shop_domain
                    and s.subject_key = any(security.subject_keys(%2$L, l.id, l.payload))
                limit 1
            ) as s
            on conflict do nothing
            $q$,
            case when tg_table_name = 'contacts' then 'contact' else 'conversation' end,
            tg_table_name
        );
        get diagnostics n = row_count;
        if n > 0 then
            -- their conversations and messages may have landed before them
            for shop in select distinct l.shop_domain from landed as l loop
                perform security.apply_redactions(shop);
            end loop;
        end if;
    end if;

    execute format(
        $q$
        with keys as (
            select shop_domain, array_agg(subject_key) as keyset
            from raw_app.redaction_subjects group by shop_domain
        ),

        matched as materialized (
            select l.shop_domain, l.%4$I as row_value, l.payload
            from landed as l
            left join keys on keys.shop_domain = l.shop_domain
            where security.subject_keys(%2$L, l.%3$I, l.payload) && (
                case when l.shop_domain is null then security.keyset(null) else keys.keyset end
            )
        ),

        -- (scrubbed in the select list of a materialized CTE: only matched rows pay for it)
        hits as materialized (
            select
                matched.*,
                security.scrub_pii(matched.payload, security.is_person(%2$L)) as scrubbed
            from matched
        )

        update %1$I.%2$I as r
        set payload = hits.scrubbed
        from hits
        where r.%4$I = hits.row_value
            and (
                r.shop_domain = hits.shop_domain
                or (r.shop_domain is null and hits.shop_domain is null)
            )
            and hits.scrubbed <> hits.payload
        $q$,
        tg_table_schema, tg_table_name, key_column, row_column
    );
    return null;
end
$fn$;

drop function if exists security.redaction_guard() cascade;
drop function if exists security.redacted_shop_guard() cascade;

do $$
declare
    t text;
    guarded text [] := array[
        'raw_shopify.customers', 'raw_shopify.orders', 'raw_chatwoot.contacts',
        'raw_chatwoot.conversations', 'raw_chatwoot.messages', 'raw_app.webhook_events',
        'raw_shopify.shops', 'raw_shopify.locations', 'raw_shopify.products',
        'raw_shopify.inventory_levels', 'raw_chatwoot.agents', 'raw_chatwoot.inboxes',
        'raw_app.shops', 'raw_app.decision_log', 'raw_app.ceo_time_entries', 'raw_app.quarantine',
        'raw_app.extract_state', 'raw_app.load_ledger'
    ];
    ev text;
begin
    foreach t in array guarded loop
        foreach ev in array array['insert', 'update'] loop
            if not exists (
                select 1 from pg_trigger
                where tgrelid = t::regclass and tgname = 'redaction_sweep_' || ev
                    and not tgisinternal
            ) then
                execute format(
                    'create trigger %I after %s on %s referencing new table as landed '
                    'for each statement execute function security.redaction_sweep()',
                    'redaction_sweep_' || ev, ev, t
                );
            end if;
        end loop;
    end loop;
end
$$;

-- The security schema's functions: service_role (landing runs the triggers, dbt the hooks) may
-- execute them all; operator only the claim.
revoke all on all functions in schema security from public;
grant execute on all functions in schema security to service_role;
grant execute on function security.claimed_shops() to operator;

-- The privacy audit trail as the dashboards may see it: the claimed shops' rows only.
create or replace function marts.get_privacy_audit_log()
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
    from raw_app.privacy_audit_log as a
    where a.shop_domain = any(security.claimed_shops())
    order by a.performed_at desc, a.audit_id desc
$fn$;
revoke all on function marts.get_privacy_audit_log() from public;
grant execute on function marts.get_privacy_audit_log() to operator, service_role;
