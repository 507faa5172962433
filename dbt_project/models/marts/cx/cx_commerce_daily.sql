{#- Support beside commerce per shop and local day; doc block `cx_commerce_daily_rules`. -#}

with

{{ import_ctes(days='shop_days', shops='shops', sales='sales_metrics_daily', links='cx_commerce_links') }},

conversations as (
    select
        links.*,
        (links.conversation_created_at at time zone shops.iana_timezone)::date as local_date,
        coalesce(stg.labels && {{ text_array_literal(var('cx_wismo_labels')) }}, false) as is_wismo
    from links
    {{ join_each('links', ['shops'], ['shop_domain'], 'inner') }}
    inner join {{ ref('stg_chatwoot__conversations') }} as stg
        on
            links.shop_domain = stg.shop_domain
            and links.conversation_id = stg.conversation_id
),

tracking as (
    select * from {{ ref('fulfillment_tracking') }}
),

late_orders as (
    select
        tracking.shop_domain,
        (tracking.sla_deadline at time zone shops.iana_timezone)::date as local_date,
        count(*) as orders_past_sla
    from tracking
    {{ join_each('tracking', ['shops'], ['shop_domain'], 'inner') }}
    where tracking.is_sla_breach
    group by tracking.shop_domain, (tracking.sla_deadline at time zone shops.iana_timezone)::date
),

support_daily as (
    select
        conversations.shop_domain,
        conversations.local_date,
        count(*) as conversations,
        count(*) filter (where conversations.order_id is not null) as conversations_linked_to_order,
        count(*) filter (where conversations.customer_id is not null) as conversations_linked_to_customer,
        count(*) filter (where conversations.is_wismo) as wismo_conversations,
        count(*) filter (where conversations.is_wismo and tracking.is_sla_breach) as wismo_on_late_orders
    from conversations
    {{ join_each('conversations', ['tracking'], ['shop_domain', ['order_id', 'shopify_order_id']]) }}
    group by conversations.shop_domain, conversations.local_date
),

refunds as (
    select
        refunds.shop_domain,
        refunds.refund_id,
        refunds.order_id,
        refunds.created_at,
        refunds.refunded_amount,
        (refunds.created_at at time zone orders.iana_timezone)::date as local_date,
        orders.customer_id
    from {{ ref('stg_shopify__refunds') }} as refunds
    inner join {{ ref('int_orders_localized') }} as orders
        on
            refunds.shop_domain = orders.shop_domain
            and refunds.order_id = orders.order_id
    where not orders.is_test
),

contact_links as (
    -- A refund follows a contact when a conversation linked to its order, or to its customer,
    -- began in the 14 days before it. One equi-join per link rather than one join on
    -- `order or customer`, which PostgreSQL can only run as a nested loop over every pair.
    {% for link_key in ['order_id', 'customer_id'] %}
        select
            refunds.shop_domain,
            refunds.refund_id,
            refunds.created_at,
            links.conversation_created_at
        from refunds
        inner join links
            on
                refunds.shop_domain = links.shop_domain
                and refunds.{{ link_key }} = links.{{ link_key }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

contacted_refunds as (
    select distinct
        shop_domain,
        refund_id
    from contact_links
    where
        conversation_created_at <= created_at
        and conversation_created_at > created_at - interval '14 days'
),

refunds_flagged as (
    select
        refunds.*,
        contacted_refunds.refund_id is not null as after_contact
    from refunds
    {{ join_each('refunds', ['contacted_refunds'], ['shop_domain', 'refund_id']) }}
),

refunds_daily as (
    select
        shop_domain,
        local_date,
        count(*) as refunds,
        count(*) filter (where after_contact) as refunds_after_contact,
        coalesce(sum(refunded_amount) filter (where after_contact), 0) as refunded_after_contact
    from refunds_flagged
    group by shop_domain, local_date
),

final as (
    select
        days.shop_domain,
        days.date,
        coalesce(sales.total_orders, 0) as orders,
        coalesce(support_daily.conversations, 0) as conversations,
        {{ views_pct('coalesce(support_daily.conversations, 0)', 'sales.total_orders', 2) }}
            as contacts_per_100_orders,
        {{ coalesced(
            'support_daily',
            [
                'conversations_linked_to_order',
                'conversations_linked_to_customer',
                'wismo_conversations',
                'wismo_on_late_orders',
            ],
        ) }},
        coalesce(late_orders.orders_past_sla, 0) as orders_past_sla,
        {{ coalesced('refunds_daily', ['refunds', 'refunds_after_contact', 'refunded_after_contact']) }}
    from days
    left join sales
        on days.shop_domain = sales.shop_domain and days.date = sales.date
    left join support_daily
        on days.shop_domain = support_daily.shop_domain and days.date = support_daily.local_date
    left join late_orders
        on days.shop_domain = late_orders.shop_domain and days.date = late_orders.local_date
    left join refunds_daily
        on days.shop_domain = refunds_daily.shop_domain and days.date = refunds_daily.local_date
)

select * from final
