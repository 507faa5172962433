-- cx_commerce_links rebuilds only the conversations whose link can have changed (issue 17). A
-- contact matches a customer by its custom attribute (the customer's numeric id), or by an e-mail
-- or phone that exactly one of the shop's customers has: to tell which customers share a contact's
-- e-mail or phone, and which contacts a changed customer may match, the customers are read by
-- those keys through these indexes, not by a scan of every raw customer. The expressions are the
-- ones the model writes (macros customer_email_key, customer_phone_key, gid_to_bigint).
create index if not exists customers_email_key_idx on raw_shopify.customers (
    shop_domain, lower(trim(payload -> 'defaultEmailAddress' ->> 'emailAddress'))
);
create index if not exists customers_phone_key_idx on raw_shopify.customers (
    shop_domain,
    right(regexp_replace(payload -> 'defaultPhoneNumber' ->> 'phoneNumber', '[^0-9]', '', 'g'), 10)
);
create index if not exists customers_numeric_id_idx on raw_shopify.customers (
    shop_domain,
    (case
        when (id) ~ '^([^0-9]*/)?[0-9]{1,18}$' then split_part(id, '/', -1)::bigint
        else ((regexp_match(id, '(^|[^0-9])([0-9]{1,18})(\?.*)?$'))[2])::bigint
    end)
);
-- The raw customers Shopify reported deleted (deleted_at is set without a new landing stamp).
create index if not exists customers_deleted_idx
    on raw_shopify.customers (shop_domain, id)
    where deleted_at is not null;
-- The Chatwoot contacts by the same keys: the contacts a changed customer may match, read by
-- index (a nested loop over the changed customers, however few the planner expects).
create index if not exists contacts_email_key_idx on raw_chatwoot.contacts (
    shop_domain, lower(trim(payload ->> 'email'))
);
create index if not exists contacts_phone_key_idx on raw_chatwoot.contacts (
    shop_domain, right(regexp_replace(payload ->> 'phone_number', '[^0-9]', '', 'g'), 10)
);
create index if not exists contacts_customer_id_idx on raw_chatwoot.contacts (
    shop_domain,
    (case
        when (payload -> 'custom_attributes' ->> 'shopify_customer_id') ~ '^([^0-9]*/)?[0-9]{1,18}$'
            then split_part(payload -> 'custom_attributes' ->> 'shopify_customer_id', '/', -1)::bigint
        else ((regexp_match(
            payload -> 'custom_attributes' ->> 'shopify_customer_id', '(^|[^0-9])([0-9]{1,18})(\?.*)?$'
        ))[2])::bigint
    end)
);
