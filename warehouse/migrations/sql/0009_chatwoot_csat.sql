-- Chatwoot CSAT survey responses (issue 18): the raw table, in the landing shape of every raw
-- table (0001_baseline/002: columns, primary key (shop_domain, id), index on
-- (shop_domain, updated_at)). Inbox working hours need no table: they land inside
-- raw_chatwoot.inboxes' payloads.
create table if not exists raw_chatwoot.csat_survey_responses (
    like raw_chatwoot.agents including all
);
grant select, insert, update, delete, truncate on raw_chatwoot.csat_survey_responses to service_role;

-- A response names a contact (with its email and phone) and may carry the customer's own words:
-- privacy covers it like the contacts and conversations (0001_baseline/004). The four
-- functions below are the baseline's, with the new table added where the person tables are
-- listed (subject keys: its conversation, its contact, the contact's email and phone), and the
-- customer's CSAT comment (`feedback_message`) among the personal values scrubbed.
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
                        'defaultEmailAddress', 'defaultPhoneNumber', 'feedback_message'
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
        when 'csat_survey_responses' then array[
            'conversation:' || (doc ->> 'conversation_id'),
            'contact:' || (doc #>> '{contact,id}'),
            'email_sha256:' || security.email_digest(doc #>> '{contact,email}'),
            'phone_sha256:' || security.phone_digest(doc #>> '{contact,phone_number}')
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
            ('raw_chatwoot', 'messages', 'id'), ('raw_app', 'webhook_events', 'topic'),
            ('raw_chatwoot', 'csat_survey_responses', 'id')
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
        'customers', 'orders', 'contacts', 'conversations', 'messages', 'webhook_events',
        'csat_survey_responses'
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

do $$
declare
    ev text;
begin
    foreach ev in array array['insert', 'update'] loop
        if not exists (
            select 1 from pg_trigger
            where tgrelid = 'raw_chatwoot.csat_survey_responses'::regclass
                and tgname = 'redaction_sweep_' || ev and not tgisinternal
        ) then
            execute format(
                'create trigger %I after %s on raw_chatwoot.csat_survey_responses '
                'referencing new table as landed '
                'for each statement execute function security.redaction_sweep()',
                'redaction_sweep_' || ev, ev
            );
        end if;
    end loop;
end
$$;
