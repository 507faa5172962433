{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook=["{{ delete_changed_keys(rechecked_orders(), ['shop_domain', 'order_gid']) }}"],
        indexes=[{'columns': ['shop_domain', 'order_gid']}],
    )
}}

{#-
    Bad values (issue 20): every raw value that staging could not cast (cast_or_null made it null),
    one row per value, naming the raw table, the record, the field and the raw text. The fields
    listed here are the ones the Shopify staging models cast.
    Incremental by order (issue 17: a full scan of every order payload took 127 s of a daily run
    at 1M orders, and ran in every real-time run): a run re-checks only the raw orders landed
    since the model's watermark; its pre-hook first deletes the rows of those orders and of the
    orders gone from the raw table (rechecked_orders()), so a value fixed at the source or an
    order deleted leaves this list at the next build, as when it was rebuilt in full.
-#}

with

landed as (
    select raw_orders.*
    from {{ source('raw_shopify', 'orders') }} as raw_orders
    {% if is_incremental() %}
        where {{ landed_since_watermark('raw_orders.extracted_at') }}
    {% endif %}
),

orders as (
    -- One jsonb_to_record per payload: a large order payload is stored compressed out of line,
    -- and every `payload -> key` would decompress it again.
    select
        landed.shop_domain,
        landed.id as order_gid,
        landed.extracted_at,
        fields.*
    from landed
    cross join lateral jsonb_to_record(landed.payload) as fields (
        "createdAt" text,
        "processedAt" text,
        "cancelledAt" text,
        "closedAt" text,
        test text,
        "totalPriceSet" jsonb,
        "subtotalPriceSet" jsonb,
        "totalDiscountsSet" jsonb,
        "totalRefundedSet" jsonb,
        "lineItems" jsonb,
        refunds jsonb,
        fulfillments jsonb
    )
),

children as (
    select
        orders.shop_domain,
        orders.order_gid,
        orders.extracted_at,
        lists.list_name,
        child.ordinality as child_position,
        child.value as child
    from orders
    cross join
        lateral (
            values
            ('lineItems', orders."lineItems"),
            ('refunds', orders.refunds),
            ('fulfillments', orders.fulfillments)
        ) as lists (list_name, list_value)
    cross join lateral jsonb_array_elements(
        case
            when jsonb_typeof(lists.list_value) = 'array' then lists.list_value
            else '[]'::jsonb
        end
    ) with ordinality as child (value, ordinality)
),

order_values as (
    select
        orders.shop_domain,
        orders.order_gid,
        null::text as child_gid,
        0::bigint as child_position,
        orders.extracted_at,
        checked.field_name,
        checked.raw_value,
        checked.expected_type
    from orders
    cross join lateral (
        values
        ('createdAt', orders."createdAt", 'timestamptz'),
        ('processedAt', orders."processedAt", 'timestamptz'),
        ('cancelledAt', orders."cancelledAt", 'timestamptz'),
        ('closedAt', orders."closedAt", 'timestamptz'),
        ('test', orders.test, 'boolean'),
        (
            'totalPriceSet.shopMoney.amount',
            orders."totalPriceSet" -> 'shopMoney' ->> 'amount',
            '{{ money_type() }}'
        ),
        (
            'subtotalPriceSet.shopMoney.amount',
            orders."subtotalPriceSet" -> 'shopMoney' ->> 'amount',
            '{{ money_type() }}'
        ),
        (
            'totalDiscountsSet.shopMoney.amount',
            orders."totalDiscountsSet" -> 'shopMoney' ->> 'amount',
            '{{ money_type() }}'
        ),
        (
            'totalRefundedSet.shopMoney.amount',
            orders."totalRefundedSet" -> 'shopMoney' ->> 'amount',
            '{{ money_type() }}'
        )
    ) as checked (field_name, raw_value, expected_type)
),

child_values as (
    select
        children.shop_domain,
        children.order_gid,
        children.child ->> 'id' as child_gid,
        children.child_position,
        children.extracted_at,
        children.list_name || '.' || checked.field_name as field_name,
        checked.raw_value,
        checked.expected_type
    from children
    cross join
        lateral (
            values
            ('lineItems', 'quantity', children.child ->> 'quantity', 'integer'),
            ('lineItems', 'currentQuantity', children.child ->> 'currentQuantity', 'integer'),
            (
                'lineItems',
                'originalUnitPriceSet.shopMoney.amount',
                children.child -> 'originalUnitPriceSet' -> 'shopMoney' ->> 'amount',
                '{{ money_type() }}'
            ),
            (
                'lineItems',
                'discountedTotalSet.shopMoney.amount',
                children.child -> 'discountedTotalSet' -> 'shopMoney' ->> 'amount',
                '{{ money_type() }}'
            ),
            ('refunds', 'createdAt', children.child ->> 'createdAt', 'timestamptz'),
            (
                'refunds',
                'totalRefundedSet.shopMoney.amount',
                children.child -> 'totalRefundedSet' -> 'shopMoney' ->> 'amount',
                '{{ money_type() }}'
            ),
            ('fulfillments', 'createdAt', children.child ->> 'createdAt', 'timestamptz'),
            ('fulfillments', 'updatedAt', children.child ->> 'updatedAt', 'timestamptz'),
            ('fulfillments', 'deliveredAt', children.child ->> 'deliveredAt', 'timestamptz'),
            ('fulfillments', 'inTransitAt', children.child ->> 'inTransitAt', 'timestamptz'),
            (
                'fulfillments',
                'estimatedDeliveryAt',
                children.child ->> 'estimatedDeliveryAt',
                'timestamptz'
            )
        ) as checked (list_name, field_name, raw_value, expected_type)
    where checked.list_name = children.list_name
),

checked_values as (
    select * from order_values
    union all
    select * from child_values
),

rejected as (
    select
        {{ deterministic_uuid([
            'shop_domain', 'order_gid', 'child_position::text', 'field_name'
        ]) }} as rejected_value_id,
        shop_domain,
        'raw_shopify.orders' as source_table,
        order_gid,
        {{ gid_to_bigint('order_gid') }} as order_id,
        child_gid,
        child_position,
        field_name,
        raw_value,
        expected_type,
        extracted_at
    from checked_values
    where
        raw_value is not null
        and not {{ input_is_valid_by_type('raw_value', 'expected_type') }}
)

select * from rejected
