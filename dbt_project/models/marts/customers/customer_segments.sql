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
    inner join conversations
        on
            contacts.shop_domain = conversations.shop_domain
            and contacts.contact_id = conversations.contact_id
    where contacts.shopify_customer_id is not null
    group by contacts.shop_domain, contacts.shopify_customer_id
),

final as (
    select
        {{ deterministic_uuid(['segmented.shop_domain', "'customer'", 'segmented.customer_id']) }} as id,
        segmented.shop_domain::text as shop_domain,
        segmented.customer_id::bigint as shopify_customer_id,
        segmented.primary_segment::text as primary_segment,
        segmented.segment_confidence::numeric as segment_confidence,
        segmented.total_orders::integer as total_orders,
        segmented.total_revenue::numeric as total_revenue,
        segmented.avg_order_value::numeric as avg_order_value,
        segmented.days_since_first_order::integer as days_since_first_order,
        segmented.days_since_last_order::integer as days_since_last_order,
        segmented.top_category_l1::text as top_category_l1,
        segmented.top_category_l2::text as top_category_l2,
        (segmented.performance_share >= 0.5)::boolean as prefers_performance,
        (segmented.restoration_share >= 0.5)::boolean as prefers_restoration,
        segmented.primary_vehicle_year::integer as primary_vehicle_year,
        segmented.primary_vehicle_make::text as primary_vehicle_make,
        segmented.primary_vehicle_model::text as primary_vehicle_model,
        coalesce(tickets.support_tickets_count, 0)::integer as support_tickets_count,
        0::integer as review_count,
        null::numeric as avg_review_rating,
        segmented.lifecycle_stage::text as lifecycle_stage,
        segmented.is_priority_customer::boolean as is_priority_customer,
        {{ hotrod_as_of() }}::timestamptz as segmented_at,
        '{{ run_started_at }}'::timestamptz as updated_at
    from segmented
    left join tickets
        on
            segmented.shop_domain = tickets.shop_domain
            and segmented.customer_id = tickets.shopify_customer_id
)

select * from final
