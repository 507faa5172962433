{#- One row per Chatwoot conversation, linked to a Shopify order and customer; doc block `cx_commerce_link_rules`. -#}

with

conversations as (
    select * from {{ ref('stg_chatwoot__conversations') }}
),

contacts as (
    select * from {{ ref('stg_chatwoot__contacts') }}
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
),

orders as (
    select
        shop_domain,
        order_id,
        order_name,
        customer_id
    from {{ ref('stg_shopify__orders') }}
    where not is_test
),

first_incoming as (
    select distinct on (shop_domain, conversation_id)
        shop_domain,
        conversation_id,
        substring(content from '#[0-9]{3,}') as named_order
    from {{ ref('stg_chatwoot__messages') }}
    where message_direction = 'incoming' and content ~ '#[0-9]{3,}'
    order by shop_domain, conversation_id, created_at, message_id
),

by_email as (
    select
        shop_domain,
        lower(trim(email)) as email,
        min(customer_id) as customer_id
    from customers
    where email is not null and not is_redacted
    group by shop_domain, lower(trim(email))
    having count(*) = 1
),

by_phone as (
    select
        shop_domain,
        right(regexp_replace(phone, '[^0-9]', '', 'g'), 10) as phone_digits,
        min(customer_id) as customer_id
    from customers
    where phone is not null and not is_redacted and length(regexp_replace(phone, '[^0-9]', '', 'g')) >= 7
    group by shop_domain, right(regexp_replace(phone, '[^0-9]', '', 'g'), 10)
    having count(*) = 1
),

contact_customers as (
    select
        contacts.shop_domain,
        contacts.contact_id,
        coalesce(attributed.customer_id, by_email.customer_id, by_phone.customer_id) as customer_id,
        case
            when attributed.customer_id is not null then 'contact_attribute'
            when by_email.customer_id is not null then 'email'
            when by_phone.customer_id is not null then 'phone'
        end as customer_link_method
    from contacts
    {{ join_each('contacts', ['customers as attributed'], ['shop_domain', ['shopify_customer_id', 'customer_id']]) }}
    left join by_email
        on
            contacts.shop_domain = by_email.shop_domain
            and lower(trim(contacts.email)) = by_email.email
    left join by_phone
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
        contact_customers.customer_id as contact_customer_id,
        contact_customers.customer_link_method
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
        end as customer_link_method
    from linked
    {{ join_each('linked', ['orders'], ['shop_domain', 'order_id']) }}
)

select * from final
