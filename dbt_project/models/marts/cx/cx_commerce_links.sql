{#-
    One row per Chatwoot conversation, linked to a Shopify order and customer; doc block
    `cx_commerce_link_rules`.
    Incremental by conversation (issue 17: rebuilt whole, 15 s of every daily run at 1M orders):
    a run links again (delete+insert) the conversations of relinked_conversations() -- staged
    since the model's watermark or with a message staged since, of a contact landed or redacted
    since, of a contact a changed customer may match (custom attribute, e-mail, phone), naming a
    changed order, stored as linked to a changed order or customer, or whose contact's e-mail or
    phone was shared by several customers -- reading only their contacts, the customers sharing
    their keys (migration 0015's indexes) and the orders they name. `refreshed_at` stamps the run
    that wrote the row. The pre-hook deletes nothing: the changed keys read the stored links (which
    the delete+insert then replaces), and every conversation staged has its row (a conversation
    gone from staging goes in the post-hook). A table built before these columns existed is
    rebuilt whole once. JIT is off for the model's transaction: on raw tables not yet analyzed
    since a landing, the changed-key plan is costed at millions of rows and compiling it took
    ~4.7 s for a query that runs in ~20 ms (a server whose jit is on; the embedded one's is off).
-#}
{%- set stamped = ['refreshed_at', 'named_order_name', 'is_customer_match_shared'] -%}
{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'conversation_id'],
        meta={'changed_at': 'refreshed_at'},
        on_schema_change='append_new_columns',
        pre_hook=[
            "{{ delete_changed_keys(none, ['shop_domain', 'conversation_id'], stored_columns=" ~ stamped ~ ") }}",
            "set local jit = off",
        ],
        post_hook=["{{ delete_vanished_orders(ref('stg_chatwoot__conversations'), key='conversation_id') }}"],
    )
}}
{%- set incremental = is_incremental() and not stored_columns_missing(stamped) %}
{#- the raw customers a contact may match, each key read through its own index (migration 0015):
    (alias, the customer's key, the contact's key) -#}
{%- set customer_match_keys = [
    ('by_id', gid_to_bigint('by_id.id'), 'contacts.shopify_customer_id'),
    ('by_email', customer_email_key('by_email.payload'), 'lower(trim(contacts.email))'),
    ('by_phone', customer_phone_key('by_phone.payload'),
        "right(regexp_replace(contacts.phone_number, '[^0-9]', '', 'g'), 10)"),
] %}

-- read by the changed-key macros of incremental runs (rendered only then):
-- depends_on: {{ source('raw_chatwoot', 'contacts') }}
-- depends_on: {{ source('raw_shopify', 'customers') }}
-- depends_on: {{ source('raw_shopify', 'orders') }}
-- depends_on: {{ source('raw_app', 'redactions') }}

with

{% if incremental %}
    changed as (
        {{ relinked_conversations() }}
    ),
{% endif %}

conversations as (
    select * from {{ ref('stg_chatwoot__conversations') }}
    {% if incremental %}
        where (shop_domain, conversation_id) in (select changed.shop_domain, changed.conversation_id from changed)
    {% endif %}
),

contacts as (
    select * from {{ ref('stg_chatwoot__contacts') }}
    {% if incremental %}
        where (shop_domain, contact_id) in (
            select conversations.shop_domain, conversations.contact_id from conversations
        )
    {% endif %}
),

-- customers and orders are read several times below (PostgreSQL materializes them once): only the
-- columns the links use, so a million orders and their customers are not copied whole; orders
-- from staging (the same rows, names and customers as int_orders_localized), so the links are
-- built beside the order chain, not after it (issue 17: the daily run's longest path)
customers as (
    select
        shop_domain,
        customer_id,
        email,
        phone,
        is_redacted
    from {{ ref('stg_shopify__customers') }}
    {% if incremental %}
        -- the contacts' customers by attribute, and every customer sharing a contact's e-mail
        -- or phone (whether it is unique), read by key (migration 0015)
        where (shop_domain, customer_gid) in (
            {%- for alias, key, contact_key in customer_match_keys %}
                select
                    {{ alias }}.shop_domain,
                    {{ alias }}.id
                from {{ source('raw_shopify', 'customers') }} as {{ alias }}
                where ({{ alias }}.shop_domain, {{ key }}) in (
                    select contacts.shop_domain, {{ contact_key }} from contacts
                )
                {{ 'union' if not loop.last }}
            {%- endfor %}
        )
    {% endif %}
),

first_incoming as (
    select distinct on (shop_domain, conversation_id)
        shop_domain,
        conversation_id,
        substring(content from '#[0-9]{3,}') as named_order
    from {{ ref('stg_chatwoot__messages') }}
    where message_direction = 'incoming' and content ~ '#[0-9]{3,}'
    {% if incremental %}
        and (shop_domain, conversation_id) in (
            select conversations.shop_domain, conversations.conversation_id from conversations
        )
    {% endif %}
    order by shop_domain, conversation_id, created_at, message_id
),

{% if incremental %}
    -- the orders the conversations name by id, or by name (attribute, first incoming message)
    named_orders as (
        select
            conversations.shop_domain,
            conversations.shopify_order_id as order_id
        from conversations
        union
        select
            by_name.shop_domain,
            by_name.order_id
        from {{ ref('stg_shopify__orders') }} as by_name
        where (by_name.shop_domain, by_name.order_name) in (
            select conversations.shop_domain, conversations.order_name from conversations
            union
            select first_incoming.shop_domain, first_incoming.named_order from first_incoming
        )
    ),
{% endif %}

orders as (
    select
        shop_domain,
        order_id,
        order_name,
        customer_id
    from {{ ref('stg_shopify__orders') }}
    where not is_test
    {% if incremental %}
        and (shop_domain, order_id) in (select named_orders.shop_domain, named_orders.order_id from named_orders)
    {% endif %}
),

-- every e-mail and phone of the shop's customers, and how many share it: a contact links by one
-- only when it is unique (a shared one is remembered: is_customer_match_shared)
email_keys as (
    select
        shop_domain,
        lower(trim(email)) as email,
        min(customer_id) as customer_id,
        count(*) as customers
    from customers
    where email is not null and not is_redacted
    group by shop_domain, lower(trim(email))
),

phone_keys as (
    select
        shop_domain,
        right(regexp_replace(phone, '[^0-9]', '', 'g'), 10) as phone_digits,
        min(customer_id) as customer_id,
        count(*) as customers
    from customers
    where phone is not null and not is_redacted and length(regexp_replace(phone, '[^0-9]', '', 'g')) >= 7
    group by shop_domain, right(regexp_replace(phone, '[^0-9]', '', 'g'), 10)
),

contact_customers as (
    select
        contacts.shop_domain,
        contacts.contact_id,
        coalesce(
            attributed.customer_id,
            case when by_email.customers = 1 then by_email.customer_id end,
            case when by_phone.customers = 1 then by_phone.customer_id end
        ) as customer_id,
        case
            when attributed.customer_id is not null then 'contact_attribute'
            when by_email.customers = 1 then 'email'
            when by_phone.customers = 1 then 'phone'
        end as customer_link_method,
        coalesce(by_email.customers > 1 or by_phone.customers > 1, false) as is_customer_match_shared
    from contacts
    {{ join_each('contacts', ['customers as attributed'], ['shop_domain', ['shopify_customer_id', 'customer_id']]) }}
    left join email_keys as by_email
        on
            contacts.shop_domain = by_email.shop_domain
            and lower(trim(contacts.email)) = by_email.email
    left join phone_keys as by_phone
        on
            contacts.shop_domain = by_phone.shop_domain
            and right(regexp_replace(contacts.phone_number, '[^0-9]', '', 'g'), 10) = by_phone.phone_digits
),

linked as (
    select
        conversations.shop_domain,
        conversations.conversation_id,
        conversations.contact_id,
        conversations.created_at as conversation_created_at,
        coalesce(by_id.order_id, by_name.order_id, by_message.order_id) as order_id,
        case
            when by_id.order_id is not null then 'order_attribute'
            when by_name.order_id is not null then 'order_name_attribute'
            when by_message.order_id is not null then 'order_named_in_message'
        end as order_link_method,
        first_incoming.named_order as named_order_name,
        contact_customers.customer_id as contact_customer_id,
        contact_customers.customer_link_method,
        coalesce(contact_customers.is_customer_match_shared, false) as is_customer_match_shared
    from conversations
    {{ join_each('conversations', ['orders as by_id'], ['shop_domain', ['shopify_order_id', 'order_id']]) }}
    {{ join_each('conversations', ['orders as by_name'], ['shop_domain', 'order_name']) }}
    {{ join_each('conversations', ['first_incoming'], ['shop_domain', 'conversation_id']) }}
    {{ join_each('first_incoming', ['orders as by_message'], ['shop_domain', ['named_order', 'order_name']]) }}
    {{ join_each('conversations', ['contact_customers'], ['shop_domain', 'contact_id']) }}
),

final as (
    select
        linked.shop_domain,
        linked.conversation_id,
        linked.contact_id,
        linked.conversation_created_at,
        linked.order_id,
        linked.order_link_method,
        coalesce(orders.customer_id, linked.contact_customer_id) as customer_id,
        case
            when orders.customer_id is not null then 'order'
            else linked.customer_link_method
        end as customer_link_method,
        linked.named_order_name,
        linked.is_customer_match_shared,
        '{{ run_started_at }}'::timestamptz as refreshed_at
    from linked
    {{ join_each('linked', ['orders'], ['shop_domain', 'order_id']) }}
)

select * from final
