-- Privacy (GDPR): what has been redacted, the audit trail of privacy actions, exports, and the
-- database-side guarantee that redacted data stays redacted: a BEFORE INSERT OR UPDATE trigger
-- on every raw table that holds customer data scrubs the payload of a redacted customer and
-- drops rows of a redacted shop, whoever lands them (extractors, webhooks, a manual COPY).
-- Idempotent: safe to run on every start.

-- Identifiers of redacted customers, besides raw_app.redactions (customer gid): Chatwoot
-- contacts and conversations found for them, their orders, and SHA-256 digests of their e-mail
-- and phone (never the values themselves: a scan for the PII must find nothing).
create table if not exists raw_app.redaction_subjects (
    shop_domain text not null,
    customer_id text not null,
    kind        text not null,   -- contact | conversation | order | email_sha256 | phone_sha256
    value       text not null,
    primary key (shop_domain, kind, value)
);

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
parallel safe
as $fn$
    select case when value is null or btrim(value) = '' then null
        else encode(sha256(convert_to(value, 'UTF8')), 'hex') end
$fn$;

create or replace function security.email_digest(email text)
returns text
language sql
immutable
parallel safe
as $fn$
    select security.sha256_text(lower(btrim(email)))
$fn$;

-- Phones compare by their last 10 digits, so "+1 (555) 010-2030" and "5550102030" match.
create or replace function security.phone_digest(phone text)
returns text
language sql
immutable
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

create or replace function security.is_subject(
    shop text, subject_kind text, subject_value text
)
returns boolean
language sql
stable
as $fn$
    select subject_value is not null and exists (
        select 1 from raw_app.redaction_subjects
        where (shop is null or shop_domain = shop) and kind = subject_kind and value = subject_value
    )
$fn$;

-- Does this raw row belong to a redacted customer? `entity` is the raw table name
-- (customers, orders, contacts, conversations, messages, webhook_events).
create or replace function security.belongs_to_redacted(
    entity text, shop text, row_id text, doc jsonb
)
returns boolean
language plpgsql
stable
as $fn$
declare
    customer_gid text;
    sender jsonb;
begin
    if not exists (
        select 1 from raw_app.redactions where shop is null or shop_domain = shop
    ) then
        return false;
    end if;
    if entity = 'customers' then
        return exists (
            select 1 from raw_app.redactions where shop_domain = shop and customer_id = row_id
        ) or security.is_subject(shop, 'email_sha256', security.email_digest(
            doc #>> '{defaultEmailAddress,emailAddress}'
        ));
    elsif entity = 'orders' then
        customer_gid := doc #>> '{customer,id}';
        return exists (
            select 1 from raw_app.redactions where shop_domain = shop and customer_id = customer_gid
        ) or security.is_subject(shop, 'order', row_id)
        or security.is_subject(shop, 'email_sha256', security.email_digest(doc ->> 'email'));
    elsif entity = 'contacts' then
        return security.is_subject(shop, 'contact', row_id)
            or exists (
                select 1 from raw_app.redactions
                where shop_domain = shop
                    and split_part(customer_id, '/', 5)
                    = doc #>> '{custom_attributes,shopify_customer_id}'
            )
            or security.is_subject(shop, 'email_sha256', security.email_digest(doc ->> 'email'))
            or security.is_subject(
                shop, 'phone_sha256', security.phone_digest(doc ->> 'phone_number')
            );
    elsif entity = 'conversations' then
        sender := doc #> '{meta,sender}';
        return security.is_subject(shop, 'conversation', row_id)
            or security.is_subject(shop, 'contact', sender ->> 'id')
            or security.is_subject(shop, 'contact', doc ->> 'contact_id')
            or security.is_subject(shop, 'email_sha256', security.email_digest(sender ->> 'email'));
    elsif entity = 'messages' then
        return security.is_subject(shop, 'conversation', doc ->> 'conversation_id')
            or (doc ->> 'sender_type' = 'Contact'
                and security.is_subject(shop, 'contact', doc ->> 'sender_id'));
    elsif entity = 'webhook_events' then
        customer_gid := coalesce(
            doc ->> 'admin_graphql_api_id',
            doc #>> '{graphql_node,id}',
            doc #>> '{customer,admin_graphql_api_id}',
            doc #>> '{graphql_node,customer,id}',
            'gid://shopify/Customer/' || (doc #>> '{customer,id}')
        );
        return exists (
            select 1 from raw_app.redactions
            where (shop is null or shop_domain = shop) and customer_id = customer_gid
        )
        or security.is_subject(shop, 'order', doc #>> '{graphql_node,id}')
        or security.is_subject(shop, 'order', 'gid://shopify/Order/' || (doc ->> 'id'))
        or security.is_subject(shop, 'contact', doc #>> '{meta,sender,id}')
        or security.is_subject(shop, 'contact', doc #>> '{sender,id}')
        or security.is_subject(shop, 'conversation', doc #>> '{conversation,id}')
        or security.is_subject(shop, 'conversation', doc ->> 'conversation_id')
        or security.is_subject(shop, 'email_sha256', security.email_digest(doc ->> 'email'))
        or security.is_subject(
            shop, 'email_sha256', security.email_digest(doc #>> '{customer,email}')
        )
        or security.is_subject(
            shop, 'email_sha256', security.email_digest(doc #>> '{meta,sender,email}')
        );
    end if;
    return false;
end
$fn$;

-- The trigger: drop rows of redacted shops; scrub rows of redacted customers.
create or replace function security.redaction_guard()
returns trigger
language plpgsql
as $fn$
declare
    shop text := new.shop_domain;
    row_key text;
begin
    if shop is not null and exists (
        select 1 from raw_app.redacted_shops where shop_sha256 = security.sha256_text(shop)
    ) then
        return null;
    end if;
    if not exists (select 1 from raw_app.redactions where shop is null or shop_domain = shop) then
        return new;
    end if;
    -- (a CASE would compile both field references; webhook_events has no `id`)
    row_key := to_jsonb(new) ->> (case when tg_table_name = 'webhook_events'
        then 'delivery_id' else 'id' end);
    if security.belongs_to_redacted(tg_table_name, shop, row_key, new.payload) then
        new.payload := security.scrub_pii(
            new.payload, tg_table_name in ('customers', 'contacts')
        );
        if tg_table_name = 'contacts' then
            insert into raw_app.redaction_subjects (shop_domain, customer_id, kind, value)
            select shop, min(customer_id), 'contact', new.id
            from raw_app.redactions where shop_domain = shop
            having count(*) > 0
            on conflict do nothing;
        end if;
    end if;
    return new;
end
$fn$;

-- Rows of redacted shops are dropped from the support tables too.
create or replace function security.redacted_shop_guard()
returns trigger
language plpgsql
as $fn$
begin
    if new.shop_domain is not null and exists (
        select 1 from raw_app.redacted_shops
        where shop_sha256 = security.sha256_text(new.shop_domain)
    ) then
        return null;
    end if;
    return new;
end
$fn$;

do $$
declare
    t text;
begin
    foreach t in array array[
        'raw_shopify.customers', 'raw_shopify.orders', 'raw_chatwoot.contacts',
        'raw_chatwoot.conversations', 'raw_chatwoot.messages', 'raw_app.webhook_events'
    ] loop
        if not exists (
            select 1 from pg_trigger
            where tgrelid = t::regclass and tgname = 'redaction_guard' and not tgisinternal
        ) then
            execute format(
                'create trigger redaction_guard before insert or update on %s '
                'for each row execute function security.redaction_guard()', t
            );
        end if;
    end loop;
    foreach t in array array[
        'raw_shopify.shops', 'raw_shopify.locations', 'raw_shopify.products',
        'raw_shopify.inventory_levels', 'raw_chatwoot.agents', 'raw_chatwoot.inboxes',
        'raw_app.shops', 'raw_app.decision_log', 'raw_app.ceo_time_entries', 'raw_app.quarantine',
        'raw_app.extract_state', 'raw_app.load_ledger'
    ] loop
        if not exists (
            select 1 from pg_trigger
            where tgrelid = t::regclass and tgname = 'redacted_shop_guard' and not tgisinternal
        ) then
            execute format(
                'create trigger redacted_shop_guard before insert or update on %s '
                'for each row execute function security.redacted_shop_guard()', t
            );
        end if;
    end loop;
end
$$;
