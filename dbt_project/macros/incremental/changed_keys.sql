{#-
    The keys changed since the watermark of the model being built (key_watermark), one macro
    per kind of key, shared by each model's filter and its delete_changed_keys pre-hook (issue 17).
    Each reason is one branch of a `union`, read through its own index.
-#}

{% macro landed_customers() -%}
    {#- Customers whose raw row landed since the watermark (tags, creation, deletion). -#}
    select
        landed.shop_domain,
        {{ gid_to_bigint('landed.id') }} as customer_id,
        landed.id as customer_gid
    from {{ source('raw_shopify', 'customers') }} as landed
    where {{ landed_since_watermark('landed.extracted_at') }}
{%- endmacro %}


{% macro changed_customers() -%}
    {#-
        (shop_domain, customer_id, customer_gid) of the customers whose order history may have
        changed since the watermark: customers of the orders localized since (placed, edited,
        fulfilled, cancelled, restaged), of the raw orders deleted in Shopify, and the customers
        landed since. An order moved to another customer reaches its former customer when
        that customer lands again (Shopify updates its order count) or in a full build.
    -#}
    select
        staged.shop_domain,
        staged.customer_id,
        staged.customer_gid
    from {{ ref('stg_shopify__orders') }} as staged
    where
        staged.customer_id is not null
        and (staged.shop_domain, staged.order_id) in (
            select
                localized.shop_domain,
                localized.order_id
            from {{ ref('int_orders_localized') }} as localized
            where {{ written_since_watermark('localized.localized_at') }}
        )
    union
    select
        deleted.shop_domain,
        {{ gid_to_bigint("deleted.payload -> 'customer' ->> 'id'") }} as customer_id,
        deleted.payload -> 'customer' ->> 'id' as customer_gid
    from {{ source('raw_shopify', 'orders') }} as deleted
    where deleted.deleted_at is not null and deleted.payload -> 'customer' ->> 'id' is not null
    union
    {{ landed_customers() }}
{%- endmacro %}


{% macro changed_segments() -%}
    {#-
        (shop_domain, customer_id) of the customers whose persona changed since the watermark
        (int_customer_personas.segment_changed_at) or who landed since (a deleted customer's
        persona row is gone without a stamp).
    -#}
    select
        personas.shop_domain,
        personas.customer_id
    from {{ ref('int_customer_personas') }} as personas
    where {{ written_since_watermark('personas.segment_changed_at') }}
    union
    select
        landed.shop_domain,
        landed.customer_id
    from ({{ landed_customers() }}) as landed
{%- endmacro %}


{% macro conversations_of_contacts(contacts) -%}
    {#- (shop_domain, conversation_id) of the conversations of the contacts `contacts` (a query). -#}
    select
        conversations.shop_domain,
        conversations.conversation_id
    from {{ ref('stg_chatwoot__conversations') }} as conversations
    inner join ({{ contacts }}) as contacts
        on
            conversations.shop_domain = contacts.shop_domain
            and conversations.contact_id = contacts.contact_id
{%- endmacro %}


{% macro landed_conversations(staged='stg_chatwoot__conversations') -%}
    {#-
        (shop_domain, conversation_id) of the conversations staged since the watermark (landed,
        or their contact changed or was redacted), or with `staged='stg_chatwoot__messages'` of
        those with a message staged since.
    -#}
    select
        landed.shop_domain,
        landed.conversation_id
    from {{ ref(staged) }} as landed
    where {{ written_since_watermark('landed.staged_at') }}
{%- endmacro %}


{% macro changed_tracked_orders() -%}
    {#-
        (shop_domain, order_id) of the orders fulfillment_tracking rebuilds: evaluated by
        int_orders_sla_evaluated since the watermark, the ones it re-evaluates every run (open or
        quarantined: their figures move with the as-of time), the raw orders deleted in Shopify,
        and every order of a customer whose segment changed (changed_segments).
    -#}
    select
        evaluated.shop_domain,
        evaluated.order_id
    from {{ ref('int_orders_sla_evaluated') }} as evaluated
    where {{ written_since_watermark('evaluated.localized_at') }}
    union
    select
        evaluated.shop_domain,
        evaluated.order_id
    from {{ ref('int_orders_sla_evaluated') }} as evaluated
    where (evaluated.first_fulfilled_at is null and evaluated.is_counted) or evaluated.quarantine_reason is not null
    union
    {{ deleted_raw_orders() }}
    union
    select
        staged.shop_domain,
        staged.order_id
    from {{ ref('stg_shopify__orders') }} as staged
    where (staged.shop_domain, staged.customer_id) in (
        select segments.shop_domain, segments.customer_id from ({{ changed_segments() }}) as segments
    )
{%- endmacro %}


{% macro rescored_conversations() -%}
    {#-
        (shop_domain, conversation_id) whose sentiment int_conversation_sentiment_scored
        re-scores: a message landed since the watermark, or a contact redacted since.
    -#}
    {{ landed_conversations('stg_chatwoot__messages') }}
    union
    {{ conversations_of_contacts(redacted_contacts(key_watermark())) }}
{%- endmacro %}


{% macro remeasured_conversations() -%}
    {#-
        (shop_domain, conversation_id) that int_conversations_measured re-measures: landed
        since the watermark, with a message landed since, re-scored by
        int_conversation_sentiment_scored since, or of a contact redacted since.
    -#}
    {{ landed_conversations() }}
    union
    {{ landed_conversations('stg_chatwoot__messages') }}
    union
    select
        scored.shop_domain,
        scored.conversation_id
    from {{ ref('int_conversation_sentiment_scored') }} as scored
    where {{ written_since_watermark('scored.refreshed_at') }}
    union
    {{ conversations_of_contacts(redacted_contacts(key_watermark())) }}
{%- endmacro %}


{% macro rebusinessed_conversations() -%}
    {#-
        (shop_domain, conversation_id) that int_conversation_business_minutes re-measures:
        measured since the watermark, landed since (gone from int_conversations_measured when its
        creation time no longer parses), of an inbox landed since, or of a shop with a location
        landed since.
    -#}
    select
        measured.shop_domain,
        measured.conversation_id
    from {{ ref('int_conversations_measured') }} as measured
    where {{ written_since_watermark('measured.refreshed_at') }}
    union
    {{ landed_conversations() }}
    union
    select
        measured.shop_domain,
        measured.conversation_id
    from {{ ref('int_conversations_measured') }} as measured
    inner join {{ ref('stg_chatwoot__inboxes') }} as inboxes
        on
            measured.shop_domain = inboxes.shop_domain
            and measured.inbox_id = inboxes.inbox_id
    where {{ landed_since_watermark('inboxes.extracted_at') }}
    union
    select
        measured.shop_domain,
        measured.conversation_id
    from {{ ref('int_conversations_measured') }} as measured
    where measured.shop_domain in (
        select locations.shop_domain
        from {{ ref('stg_shopify__locations') }} as locations
        where {{ landed_since_watermark('locations.extracted_at') }}
    )
{%- endmacro %}


{% macro changed_tile_conversations() -%}
    {#-
        (shop_domain, conversation_id) that cx_conversations rebuilds: measured or
        business-measured since the watermark, landed since, of a contact landed since, or of a
        contact linked to a customer whose segment changed (changed_segments).
    -#}
    select
        measured.shop_domain,
        measured.conversation_id
    from {{ ref('int_conversations_measured') }} as measured
    where {{ written_since_watermark('measured.refreshed_at') }}
    union
    select
        business.shop_domain,
        business.conversation_id
    from {{ ref('int_conversation_business_minutes') }} as business
    where {{ written_since_watermark('business.refreshed_at') }}
    union
    {{ landed_conversations() }}
    union
    {% set contacts_changed -%}
        select
            contacts.shop_domain,
            contacts.contact_id
        from {{ ref('stg_chatwoot__contacts') }} as contacts
        where {{ landed_since_watermark('contacts.extracted_at') }}
        union
        select
            contacts.shop_domain,
            contacts.contact_id
        from {{ ref('stg_chatwoot__contacts') }} as contacts
        where (contacts.shop_domain, contacts.shopify_customer_id) in (
            select segments.shop_domain, segments.customer_id from ({{ changed_segments() }}) as segments
        )
    {%- endset %}
    {{ conversations_of_contacts(contacts_changed) }}
{%- endmacro %}


{% macro rechecked_orders() -%}
    {#-
        (shop_domain, order_gid) of the orders whose bad values stg_shopify__rejected_values
        lists anew: the raw orders landed since the watermark, and the orders it lists that are
        gone from the raw table.
    -#}
    select
        landed.shop_domain,
        landed.id as order_gid
    from {{ source('raw_shopify', 'orders') }} as landed
    where {{ landed_since_watermark('landed.extracted_at') }}
    union
    select
        listed.shop_domain,
        listed.order_gid
    from {{ this }} as listed
    where not exists (
        select 1
        from {{ source('raw_shopify', 'orders') }} as raw_orders
        where
            raw_orders.shop_domain = listed.shop_domain
            and raw_orders.id = listed.order_gid
    )
{%- endmacro %}


{% macro rechecked_source_records(tables) -%}
    {#-
        (source_table, shop_domain, record_key) of the raw records whose bad values
        stg_warehouse__rejected_values lists anew: the records of the raw tables `tables`
        (rejected_value_sources()) landed since the watermark, and the records it lists that are
        gone from their raw table or no longer staged (the table's `where`).
    -#}
    {%- set distinct, names = [], [] -%}
    {%- for table in tables -%}
        {%- set name = table.source ~ '.' ~ table.table -%}
        {%- if name not in names -%}
            {%- do names.append(name) -%}
            {%- do distinct.append({'name': name, 'source': table.source, 'table': table.table, 'where': table.where}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for table in distinct %}
        select
            '{{ table.name }}' as source_table,
            landed.shop_domain,
            landed.id as record_key
        from {{ source(table.source, table.table) }} as landed
        where {{ landed_since_watermark('landed.extracted_at') }}
        union
    {%- endfor %}
    select
        listed.source_table,
        listed.shop_domain,
        listed.record_key
    from {{ this }} as listed
    where not exists (
        {%- for table in distinct %}
            select 1
            from {{ source(table.source, table.table) }} as raw_records
            where
                listed.source_table = '{{ table.name }}'
                and raw_records.shop_domain = listed.shop_domain
                and raw_records.id = listed.record_key
                {%- if table.where %}
                    and raw_records.{{ table.where }}
                {%- endif %}
            {{- ' union all' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}


{% macro changed_shipment_orders() -%}
    {#-
        (shop_domain, order_id) of the orders whose shipments fulfillment_shipments rebuilds:
        fulfillments restaged since the watermark, orders localized since (name, time zone, test
        flag), orders with an undelivered shipment that has a promised date (on time turns false
        as the as-of time passes it), and the raw orders deleted in Shopify.
    -#}
    select
        restaged.shop_domain,
        restaged.order_id
    from {{ ref('stg_shopify__fulfillments') }} as restaged
    where {{ written_since_watermark('restaged.staged_at') }}
    union
    select
        promised.shop_domain,
        promised.order_id
    from {{ ref('stg_shopify__fulfillments') }} as promised
    where
        promised.fulfillment_status = 'SUCCESS'
        and promised.delivered_at is null
        and promised.estimated_delivery_at is not null
    union
    select
        localized.shop_domain,
        localized.order_id
    from {{ ref('int_orders_localized') }} as localized
    where {{ written_since_watermark('localized.localized_at') }}
    union
    {{ deleted_raw_orders() }}
{%- endmacro %}


{% macro changed_issue_orders() -%}
    {#-
        (shop_domain, order_id) of the orders whose data issues int_orders_data_issues checks
        again: orders restaged since the watermark (their values, lines and bad values), the
        orders of a shop landed since (the currency they are compared with), the orders it lists
        as created in the future (the as-of time moves), and the raw orders deleted in Shopify.
    -#}
    select
        restaged.shop_domain,
        restaged.order_id
    from {{ ref('stg_shopify__orders') }} as restaged
    where {{ written_since_watermark('restaged.staged_at') }}
    union
    select
        of_shop.shop_domain,
        of_shop.order_id
    from {{ ref('stg_shopify__orders') }} as of_shop
    where of_shop.shop_domain in (
        select shop.shop_domain
        from {{ ref('stg_shopify__shops') }} as shop
        where {{ landed_since_watermark('shop.extracted_at') }}
    )
    union
    select
        future.shop_domain,
        future.order_id
    from {{ this }} as future
    where future.issue = 'future_created_at'
    union
    {{ deleted_raw_orders() }}
{%- endmacro %}


{% macro changed_sales_days() -%}
    {#-
        (shop_domain, local_date) of the shop days int_sku_daily_sales_aggregated aggregates
        again: the days of the orders localized since the watermark, of every raw order deleted
        in Shopify (few: its lines are gone, its day is read from the raw payload), and every day
        stored for a shop whose record landed since (a new time zone moves orders across days).
    -#}
    select
        localized.shop_domain,
        localized.local_date
    from {{ ref('int_orders_localized') }} as localized
    where {{ written_since_watermark('localized.localized_at') }}
    union
    select
        deleted.shop_domain,
        {{ local_date(cast_or_null("deleted.payload ->> 'createdAt'", 'timestamptz'), "coalesce(shops.iana_timezone, 'UTC')") }}
            as local_date
    from {{ source('raw_shopify', 'orders') }} as deleted
    left join {{ ref('stg_shopify__shops') }} as shops
        on deleted.shop_domain = shops.shop_domain
    where deleted.deleted_at is not null
    union
    select
        stored.shop_domain,
        stored.local_date
    from {{ this }} as stored
    where stored.shop_domain in (
        select shop.shop_domain
        from {{ ref('stg_shopify__shops') }} as shop
        where {{ landed_since_watermark('shop.extracted_at') }}
    )
{%- endmacro %}


{% macro customer_email_key(payload) -%}
    {#- A raw Shopify customer's e-mail as contacts match it (index customers_email_key_idx). -#}
    lower(trim({{ payload }} -> 'defaultEmailAddress' ->> 'emailAddress'))
{%- endmacro %}


{% macro customer_phone_key(payload) -%}
    {#- A raw Shopify customer's phone as contacts match it: its last ten digits (customers_phone_key_idx). -#}
    right(regexp_replace({{ payload }} -> 'defaultPhoneNumber' ->> 'phoneNumber', '[^0-9]', '', 'g'), 10)
{%- endmacro %}


{% macro relinked_orders() -%}
    {#-
        (shop_domain, order_id, order_name) of the orders whose links cx_commerce_links rebuilds:
        staged since the watermark (placed, renamed, turned test, moved to another customer)
        and the raw orders deleted in Shopify (with the name they had).
    -#}
    select
        staged.shop_domain,
        staged.order_id,
        staged.order_name
    from {{ ref('stg_shopify__orders') }} as staged
    where {{ written_since_watermark('staged.staged_at') }}
    union
    select
        deleted.shop_domain,
        {{ gid_to_bigint('deleted.id') }} as order_id,
        deleted.payload ->> 'name' as order_name
    from {{ source('raw_shopify', 'orders') }} as deleted
    where deleted.deleted_at is not null
{%- endmacro %}


{% macro relinked_customers() -%}
    {#-
        (shop_domain, customer_id, email_key, phone_key) of the customers whose change can move a
        contact's link: landed since the watermark (a new customer, a changed e-mail or phone),
        deleted in Shopify (marked without a new landing stamp: every one, through the partial
        index customers_deleted_idx) and redacted since (with the e-mail the redaction recorded).
        The keys are the raw ones, redacted or not: a superset of what the model matches.
    -#}
    select
        landed.shop_domain,
        {{ gid_to_bigint('landed.id') }} as customer_id,
        {{ customer_email_key('landed.payload') }} as email_key,
        {{ customer_phone_key('landed.payload') }} as phone_key
    from {{ source('raw_shopify', 'customers') }} as landed
    where {{ landed_since_watermark('landed.extracted_at') }}
    union
    select
        deleted.shop_domain,
        {{ gid_to_bigint('deleted.id') }} as customer_id,
        {{ customer_email_key('deleted.payload') }} as email_key,
        {{ customer_phone_key('deleted.payload') }} as phone_key
    from {{ source('raw_shopify', 'customers') }} as deleted
    where deleted.deleted_at is not null
    union
    select
        redacted.shop_domain,
        redacted.customer_id,
        redacted.email as email_key,
        {{ customer_phone_key('raw_customers.payload') }} as phone_key
    from ({{ redacted_customers(key_watermark()) }}) as redacted
    left join {{ source('raw_shopify', 'customers') }} as raw_customers
        on
            redacted.shop_domain = raw_customers.shop_domain
            and redacted.customer_gid = raw_customers.id
    union
    select
        raw_customers.shop_domain,
        {{ gid_to_bigint('raw_customers.id') }} as customer_id,
        {{ customer_email_key('raw_customers.payload') }} as email_key,
        null as phone_key
    from ({{ redacted_customers(key_watermark()) }}) as redacted
    inner join {{ source('raw_shopify', 'customers') }} as raw_customers
        on
            redacted.shop_domain = raw_customers.shop_domain
            and redacted.customer_gid = raw_customers.id
{%- endmacro %}


{% macro relinked_conversations() -%}
    {#-
        (shop_domain, conversation_id) of the conversations cx_commerce_links links again: staged
        since the watermark (attributes, contact) or with a message staged since (the first
        incoming one may name another order); of a contact landed or redacted since; of a contact
        whose custom attribute, e-mail or phone names a changed customer (relinked_customers);
        naming a changed order (relinked_orders) by attribute or in the first incoming message
        (stored named_order_name); stored as linked to a changed order or customer (a renamed,
        test, deleted or reassigned order; a customer whose e-mail or phone changed away); and
        every stored one whose contact's e-mail or phone was shared by several customers (a
        customer leaving the share can make it unique: is_customer_match_shared).
    -#}
    {{ landed_conversations() }}
    union
    {{ landed_conversations('stg_chatwoot__messages') }}
    union
    {% set contacts_changed -%}
        {{ changed_contacts() }}
        {%- for key, contact_key in [
            ('customer_id', gid_to_bigint("contacts.payload -> 'custom_attributes' ->> 'shopify_customer_id'")),
            ('email_key', "lower(trim(contacts.payload ->> 'email'))"),
            ('phone_key', "right(regexp_replace(contacts.payload ->> 'phone_number', '[^0-9]', '', 'g'), 10)"),
        ] %}
        union
        select
            contacts.shop_domain,
            {{ cast_or_null("contacts.payload ->> 'id'", 'bigint') }} as contact_id
        from {{ source('raw_chatwoot', 'contacts') }} as contacts
        inner join ({{ relinked_customers() }}) as customers
            on
                contacts.shop_domain = customers.shop_domain
                and {{ contact_key }} = customers.{{ key }}
        {%- endfor %}
    {%- endset %}
    {{ conversations_of_contacts(contacts_changed) }}
    {{ conversations_matching(
        ref('stg_chatwoot__conversations'), relinked_orders(),
        [('shopify_order_id', 'order_id'), ('order_name', 'order_name')]
    ) }}
    {{ conversations_matching(
        this, relinked_orders(), [('order_id', 'order_id'), ('named_order_name', 'order_name')]
    ) }}
    {{ conversations_matching(this, relinked_customers(), [('customer_id', 'customer_id')]) }}
    union
    select
        stored.shop_domain,
        stored.conversation_id
    from {{ this }} as stored
    where stored.is_customer_match_shared
{%- endmacro %}


{% macro changed_contacts() -%}
    {#-
        (shop_domain, contact_id) of the Chatwoot contacts landed since the watermark or linked
        to a customer redacted since (their conversations' redaction flag follows them).
    -#}
    select
        contacts.shop_domain,
        {{ cast_or_null("contacts.payload ->> 'id'", 'bigint') }} as contact_id
    from {{ source('raw_chatwoot', 'contacts') }} as contacts
    where {{ landed_since_watermark('contacts.extracted_at') }}
    union
    {{ redacted_contacts(key_watermark()) }}
{%- endmacro %}


{% macro conversations_matching(relation, changed, pairs) -%}
    {#-
        `union` then (shop_domain, conversation_id) of the rows of `relation` whose column
        matches the key of a `changed` row (a query), for each (column, key) of `pairs`.
    -#}
    {%- for column, key in pairs %}
    union
    select
        matched.shop_domain,
        matched.conversation_id
    from {{ relation }} as matched
    inner join ({{ changed }}) as changed
        on
            matched.shop_domain = changed.shop_domain
            and matched.{{ column }} = changed.{{ key }}
    {%- endfor %}
{%- endmacro %}
