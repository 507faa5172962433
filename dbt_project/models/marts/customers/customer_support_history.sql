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

csat as (
    select * from {{ ref('stg_chatwoot__csat_survey_responses') }}
),

-- the customer's latest CSAT answer over their linked conversations
last_csat as (
    select distinct on (links.shop_domain, links.customer_id)
        links.shop_domain,
        links.customer_id,
        csat.rating as last_csat_rating,
        csat.responded_at as last_csat_at
    from links
    inner join csat
        on
            links.shop_domain = csat.shop_domain
            and links.conversation_id = csat.conversation_id
    where links.customer_id is not null and csat.responded_at <= {{ hotrod_as_of() }}
    order by links.shop_domain asc, links.customer_id asc, csat.responded_at desc, csat.csat_response_id desc
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
        support.last_conversation_at,
        last_csat.last_csat_rating,
        last_csat.last_csat_at
    from customers
    {{ join_each('customers', ['support', 'last_csat'], ['shop_domain', ['shopify_customer_id', 'customer_id']]) }}
)

select * from final
