{% macro rejected_value_sources() -%}
    {#-
        The raw values stg_warehouse__rejected_values checks: the casts the staging models
        outside the order path make (a cast added to a staging model is added here too). One entry
        per raw table or child array: {source, table, fields: [(field name, text expression over
        `payload` or `child`, kind)], optionally list (the child array) and where (the raw rows
        staged)}.
    -#}
    {%- do return([
        {'source': 'raw_shopify', 'table': 'customers', 'where': 'deleted_at is null', 'fields': [
            ('verifiedEmail', "payload ->> 'verifiedEmail'", 'boolean'),
            ('numberOfOrders', "payload ->> 'numberOfOrders'", 'integer'),
            ('amountSpent.amount', "payload -> 'amountSpent' ->> 'amount'", money_type()),
            ('createdAt', "payload ->> 'createdAt'", 'timestamptz'),
        ]},
        {'source': 'raw_shopify', 'table': 'products', 'where': 'deleted_at is null', 'fields': [
            ('createdAt', "payload ->> 'createdAt'", 'timestamptz'),
        ]},
        {'source': 'raw_shopify', 'table': 'products', 'where': 'deleted_at is null', 'list': 'variants', 'fields': [
            ('price', "child ->> 'price'", money_type()),
            ('compareAtPrice', "child ->> 'compareAtPrice'", money_type()),
            ('inventoryItem.tracked', "child -> 'inventoryItem' ->> 'tracked'", 'boolean'),
            ('inventoryItem.unitCost.amount', "child -> 'inventoryItem' -> 'unitCost' ->> 'amount'", money_type()),
            ('createdAt', "child ->> 'createdAt'", 'timestamptz'),
            ('updatedAt', "child ->> 'updatedAt'", 'timestamptz'),
        ]},
        {'source': 'raw_shopify', 'table': 'inventory_levels', 'fields': [
            ('quantities[available]', inventory_quantity_text('available'), 'integer'),
            ('quantities[committed]', inventory_quantity_text('committed'), 'integer'),
            ('quantities[incoming]', inventory_quantity_text('incoming'), 'integer'),
            ('quantities[on_hand]', inventory_quantity_text('on_hand'), 'integer'),
            ('quantities[reserved]', inventory_quantity_text('reserved'), 'integer'),
        ]},
        {'source': 'raw_shopify', 'table': 'locations', 'fields': [
            ('isActive', "payload ->> 'isActive'", 'boolean'),
            ('fulfillsOnlineOrders', "payload ->> 'fulfillsOnlineOrders'", 'boolean'),
            ('createdAt', "payload ->> 'createdAt'", 'timestamptz'),
        ]},
        {'source': 'raw_shopify', 'table': 'shops', 'fields': [
            ('createdAt', "payload ->> 'createdAt'", 'timestamptz'),
        ]},
        {'source': 'raw_app', 'table': 'shops', 'fields': [
            ('installed_at', "payload ->> 'installed_at'", 'timestamptz'),
            ('activated_at', "payload ->> 'activated_at'", 'timestamptz'),
            ('uninstalled_at', "payload ->> 'uninstalled_at'", 'timestamptz'),
        ]},
        {'source': 'raw_app', 'table': 'ceo_time_entries', 'fields': [
            ('entry_date', "payload ->> 'entry_date'", 'date'),
            ('minutes_order_processing', "payload ->> 'minutes_order_processing'", 'integer'),
            ('minutes_inventory_checks', "payload ->> 'minutes_inventory_checks'", 'integer'),
            ('minutes_customer_support', "payload ->> 'minutes_customer_support'", 'integer'),
            ('minutes_manual_reporting', "payload ->> 'minutes_manual_reporting'", 'integer'),
            ('minutes_data_entry', "payload ->> 'minutes_data_entry'", 'integer'),
            ('automation_actions', "payload ->> 'automation_actions'", 'integer'),
            ('manual_actions_avoided', "payload ->> 'manual_actions_avoided'", 'integer'),
        ]},
        {'source': 'raw_app', 'table': 'decision_log', 'fields': [
            ('created_at', "payload ->> 'created_at'", 'timestamptz'),
        ]},
        {'source': 'raw_app', 'table': 'decision_log_archive', 'fields': [
            ('created_at', "payload ->> 'created_at'", 'timestamptz'),
        ]},
        {'source': 'raw_chatwoot', 'table': 'conversations', 'fields': [
            ('id', "payload ->> 'id'", 'bigint'),
            ('account_id', "payload ->> 'account_id'", 'bigint'),
            ('inbox_id', "payload ->> 'inbox_id'", 'bigint'),
            ('created_at', "payload ->> 'created_at'", 'epoch'),
            ('updated_at', "payload ->> 'updated_at'", 'epoch'),
            ('last_activity_at', "payload ->> 'last_activity_at'", 'epoch'),
            ('first_reply_created_at', "payload ->> 'first_reply_created_at'", 'epoch'),
            ('waiting_since', "payload ->> 'waiting_since'", 'epoch'),
            ('custom_attributes.shopify_order_id', "payload -> 'custom_attributes' ->> 'shopify_order_id'", 'gid'),
            ('meta.sender.id', "payload -> 'meta' -> 'sender' ->> 'id'", 'bigint'),
            ('meta.assignee.id', "payload -> 'meta' -> 'assignee' ->> 'id'", 'bigint'),
        ]},
        {'source': 'raw_chatwoot', 'table': 'messages', 'fields': [
            ('id', "payload ->> 'id'", 'bigint'),
            ('conversation_id', "payload ->> 'conversation_id'", 'bigint'),
            ('conversation.id', "payload -> 'conversation' ->> 'id'", 'bigint'),
            ('account_id', "payload ->> 'account_id'", 'bigint'),
            ('inbox_id', "payload ->> 'inbox_id'", 'bigint'),
            ('private', "payload ->> 'private'", 'boolean'),
            ('created_at', "payload ->> 'created_at'", 'epoch'),
            ('sender_id', "payload ->> 'sender_id'", 'bigint'),
        ]},
        {'source': 'raw_chatwoot', 'table': 'contacts', 'fields': [
            ('id', "payload ->> 'id'", 'bigint'),
            ('custom_attributes.shopify_customer_id', "payload -> 'custom_attributes' ->> 'shopify_customer_id'", 'gid'),
            ('created_at', "payload ->> 'created_at'", 'epoch'),
            ('last_activity_at', "payload ->> 'last_activity_at'", 'epoch'),
        ]},
        {'source': 'raw_chatwoot', 'table': 'agents', 'fields': [
            ('id', "payload ->> 'id'", 'bigint'),
            ('account_id', "payload ->> 'account_id'", 'bigint'),
        ]},
        {'source': 'raw_chatwoot', 'table': 'inboxes', 'fields': [
            ('id', "payload ->> 'id'", 'bigint'),
            ('working_hours_enabled', "payload ->> 'working_hours_enabled'", 'boolean'),
            ('csat_survey_enabled', "payload ->> 'csat_survey_enabled'", 'boolean'),
        ]},
        {'source': 'raw_chatwoot', 'table': 'inboxes', 'list': 'working_hours', 'fields': [
            ('day_of_week', "child ->> 'day_of_week'", 'integer'),
            ('closed_all_day', "child ->> 'closed_all_day'", 'boolean'),
            ('open_all_day', "child ->> 'open_all_day'", 'boolean'),
            ('open_hour', "child ->> 'open_hour'", 'integer'),
            ('open_minutes', "child ->> 'open_minutes'", 'integer'),
            ('close_hour', "child ->> 'close_hour'", 'integer'),
            ('close_minutes', "child ->> 'close_minutes'", 'integer'),
        ]},
        {'source': 'raw_chatwoot', 'table': 'csat_survey_responses', 'fields': [
            ('id', "payload ->> 'id'", 'bigint'),
            ('conversation_id', "payload ->> 'conversation_id'", 'bigint'),
            ('contact.id', "payload -> 'contact' ->> 'id'", 'bigint'),
            ('assigned_agent.id', "payload -> 'assigned_agent' ->> 'id'", 'bigint'),
            ('message_id', "payload ->> 'message_id'", 'bigint'),
            ('rating', "payload ->> 'rating'", 'integer'),
            ('created_at', "payload ->> 'created_at'", 'epoch'),
        ]},
        {'source': 'raw_ga4', 'table': 'traffic_daily', 'fields': [
            ('date', "payload ->> 'date'", 'yyyymmdd'),
            ('sessions', "payload ->> 'sessions'", 'integer'),
            ('engagedSessions', "payload ->> 'engagedSessions'", 'integer'),
            ('totalUsers', "payload ->> 'totalUsers'", 'integer'),
            ('newUsers', "payload ->> 'newUsers'", 'integer'),
            ('keyEvents', "payload ->> 'keyEvents'", 'numeric'),
            ('transactions', "payload ->> 'transactions'", 'integer'),
            ('purchaseRevenue', "payload ->> 'purchaseRevenue'", money_type()),
            ('subject_to_thresholding', "payload ->> 'subject_to_thresholding'", 'boolean'),
            ('sampled', "payload ->> 'sampled'", 'boolean'),
        ]},
        {'source': 'raw_ga4', 'table': 'traffic_hourly', 'fields': [
            ('dateHour', "payload ->> 'dateHour'", 'yyyymmddhh'),
            ('sessions', "payload ->> 'sessions'", 'integer'),
            ('transactions', "payload ->> 'transactions'", 'integer'),
            ('purchaseRevenue', "payload ->> 'purchaseRevenue'", money_type()),
        ]},
    ]) -%}
{%- endmacro %}
