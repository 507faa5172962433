with

segmented as (
    select * from {{ ref('int_customers_segmented') }}
),

contacts as (
    select * from {{ ref('stg_chatwoot__contacts') }}
),

conversations as (
    select * from {{ ref('stg_chatwoot__conversations') }}
),

tickets as (
    select
        contacts.shop_domain,
        contacts.shopify_customer_id,
        count(distinct conversations.conversation_id)::integer as support_tickets_count
    from contacts
    {{ join_each('contacts', ['conversations'], ['shop_domain', 'contact_id'], 'inner') }}
    where contacts.shopify_customer_id is not null
    group by contacts.shop_domain, contacts.shopify_customer_id
),

final as (
    select
        {{ typed_columns('segmented', {
            'id': deterministic_uuid(['segmented.shop_domain', "'customer'", 'segmented.customer_id']),
            'shopify_customer_id': 'segmented.customer_id',
            'prefers_performance': 'segmented.performance_share >= 0.5',
            'prefers_restoration': 'segmented.restoration_share >= 0.5',
            'support_tickets_count': 'coalesce(tickets.support_tickets_count, 0)',
            'review_count': '0',
            'avg_review_rating': 'null',
            'segmented_at': hotrod_as_of(),
            'updated_at': "'" ~ run_started_at ~ "'",
        }) }}
    from segmented
    {{ join_each('segmented', ['tickets'], ['shop_domain', ['customer_id', 'shopify_customer_id']]) }}
)

select * from final
