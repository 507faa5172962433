{#-
    Each customer's support history beside their value and segment (issue 18): the conversations
    linked to the customer by cx_commerce_links (doc block `cx_commerce_link_rules`).
-#}

with

customers as (
    select * from {{ ref('customer_segments') }}
),

links as (
    select * from {{ ref('cx_commerce_links') }}
),

conversations as (
    select * from {{ ref('cx_conversations') }}
),

support as (
    select
        links.shop_domain,
        links.customer_id,
        count(*) as conversations,
        count(*) filter (where conversations.is_escalated) as escalations,
        count(*) filter (where conversations.status in ('open', 'pending', 'snoozed')) as open_conversations,
        count(*) filter (where conversations.is_sla_breach) as sla_breaches,
        min(links.conversation_created_at) as first_conversation_at,
        max(links.conversation_created_at) as last_conversation_at
    from links
    {{ join_each(
        'links',
        ['conversations'],
        ['shop_domain', ['conversation_id', 'chatwoot_conversation_id']],
        'inner',
    ) }}
    where links.customer_id is not null
    group by links.shop_domain, links.customer_id
),

final as (
    select
        customers.shop_domain,
        customers.shopify_customer_id as customer_id,
        customers.primary_segment,
        customers.lifecycle_stage,
        customers.total_orders,
        customers.total_revenue as lifetime_revenue,
        customers.days_since_first_order,
        {{ coalesced('support', ['conversations', 'escalations', 'open_conversations', 'sla_breaches']) }},
        support.first_conversation_at,
        support.last_conversation_at
    from customers
    {{ join_each('customers', ['support'], ['shop_domain', ['shopify_customer_id', 'customer_id']]) }}
)

select * from final
