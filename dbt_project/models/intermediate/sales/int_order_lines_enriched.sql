{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'order_id'],
        on_schema_change='fail',
        pre_hook=["{{ delete_changed_orders(ref('int_orders_localized'), 'localized_at') }}"],
        indexes=[
            {'columns': ['shop_domain', 'sku', 'local_date']},
            {'columns': ['shop_domain', 'local_date']},
            {'columns': ['shop_domain', 'order_id']},
            {'columns': ['shop_domain', 'order_line_id']},
            {'columns': ['localized_at']},
        ],
    )
}}

{#-
    Net quantities (issue 13): `quantity` is the line's current quantity (Shopify `currentQuantity`:
    refunded and removed units excluded) and `discounted_total` its discounted total for those
    units; the ordered figures are kept as `ordered_quantity` and `ordered_discounted_total`.
    Incremental (issue 9): a daily run re-enriches (delete+insert by order) the orders localized
    since the last run (newer `localized_at`: restaged, or counted or not since) and the orders
    with a line of a product whose categories, flags or fitment changed.
-#}

with

products as (
    select * from {{ ref('int_products_classified') }}
),

{% if is_incremental() %}
    reclassified_orders as (
        select distinct
            done.shop_domain,
            done.order_id
        from {{ this }} as done
        left join products
            on
                done.shop_domain = products.shop_domain
                and done.product_id = products.product_id
        where
            (
                done.category_l1, done.category_l2, done.is_performance_part,
                done.is_restoration_part, done.is_custom_fabrication, done.primary_year,
                done.primary_make, done.primary_model
            ) is distinct from (
                products.category_l1, products.category_l2,
                coalesce(products.is_performance_part, false),
                coalesce(products.is_restoration_part, false),
                coalesce(products.is_custom_fabrication, false),
                products.primary_year, products.primary_make, products.primary_model
            )
    ),

    changed_orders as (
        select
            localized.shop_domain,
            localized.order_id
        from {{ ref('int_orders_localized') }} as localized
        where {{ staged_since_last_run('localized.localized_at', 'localized_at') }}
        union
        select
            reclassified_orders.shop_domain,
            reclassified_orders.order_id
        from reclassified_orders
    ),
{% endif %}

-- an incremental run reads only the changed orders (through the key index), never all of them
orders as (
    select * from {{ ref('int_orders_localized') }}
    {{ where_key_changed('select * from changed_orders', ['shop_domain', 'order_id']) }}
),

lines as (
    select * from {{ ref('stg_shopify__order_lines') }}
    {{ where_key_changed('select * from changed_orders', ['shop_domain', 'order_id']) }}
),

enriched as (
    select
        lines.shop_domain,
        lines.order_line_id,
        lines.order_id,
        lines.product_id,
        lines.variant_id,
        lines.sku,
        lines.quantity as ordered_quantity,
        coalesce(lines.current_quantity, lines.quantity) as quantity,
        lines.discounted_total as ordered_discounted_total,
        (
            case
                when coalesce(lines.current_quantity, lines.quantity) = lines.quantity
                    then lines.discounted_total
                else round(
                    lines.discounted_total * lines.current_quantity / nullif(lines.quantity, 0), 2
                )
            end
        )::numeric(14, 2) as discounted_total,
        orders.customer_id,
        orders.created_at as order_created_at,
        orders.local_date,
        orders.is_counted,
        products.category_l1,
        products.category_l2,
        coalesce(products.is_performance_part, false) as is_performance_part,
        coalesce(products.is_restoration_part, false) as is_restoration_part,
        coalesce(products.is_custom_fabrication, false) as is_custom_fabrication,
        products.primary_year,
        products.primary_make,
        products.primary_model,
        orders.staged_at,
        orders.localized_at
    from lines
    inner join orders
        on
            lines.shop_domain = orders.shop_domain
            and lines.order_id = orders.order_id
    left join products
        on
            lines.shop_domain = products.shop_domain
            and lines.product_id = products.product_id
    -- a line whose every unit was removed by an order edit or refunded is no line of the order
    -- (a cancelled order keeps its lines: it is not counted in sales anyway)
    where coalesce(lines.current_quantity, lines.quantity) > 0 or orders.cancelled_at is not null
)

select * from enriched
