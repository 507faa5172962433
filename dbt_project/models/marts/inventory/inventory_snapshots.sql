{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'sku', 'snapshot_date'],
        on_schema_change='fail',
        indexes=[
            {'columns': ['shop_domain', 'snapshot_date desc', 'sku'], 'unique': true},
            {'columns': ['shop_domain', 'sku']},
            {'columns': ['shop_domain', 'shopify_product_id']},
            {
                'columns': ['shop_domain', 'snapshot_date'],
                'where': "stock_status in ('low_stock', 'out_of_stock')",
            },
        ],
    )
}}

{#-
    One row per SKU per day, kept as history (doc blocks `stock_status_rules` and
    `velocity_tiers`). Each run writes the as-of local day of each shop from the current
    inventory levels; older rows keep their stored quantities, and their sales figures are
    recomputed and written back only where they changed (issue 20: by key, however old the day a
    late cancellation, refund, edit or deleted order touched).
-#}

{%- set snapshot_key = {'shop_domain': 'shop_domain', 'sku': 'sku', 'snapshot_date': 'snapshot_date'} %}

with

shops as (
    select * from {{ ref('shops') }}
),

skus as (
    select * from {{ ref('int_skus_stocked') }}
),

daily_sales as (
    select * from {{ ref('int_sku_daily_sales_aggregated') }}
),

today as (
    select
        skus.shop_domain,
        skus.sku,
        skus.product_id,
        skus.variant_id,
        shops.as_of_date as snapshot_date,
        skus.quantity_available,
        skus.quantity_reserved,
        skus.quantity_incoming,
        '{{ run_started_at }}'::timestamptz as created_at
    from skus
    inner join shops
        on skus.shop_domain = shops.shop_domain
),

snapshots as (
    select * from today
    {% if is_incremental() %}
        union all
        select
            existing.shop_domain,
            existing.sku,
            existing.shopify_product_id as product_id,
            existing.shopify_variant_id as variant_id,
            existing.snapshot_date,
            existing.quantity_available,
            existing.quantity_reserved,
            existing.quantity_incoming,
            existing.created_at
        from {{ this }} as existing
        inner join shops
            on existing.shop_domain = shops.shop_domain
        where existing.snapshot_date < shops.as_of_date
    {% endif %}
),

with_sales as (
    select
        snapshots.*,
        coalesce(sales.units_sold_7d, 0) as units_sold_7d,
        coalesce(sales.units_sold_30d, 0) as units_sold_30d
    from snapshots
    left join lateral (
        select
            sum(daily_sales.units_sold) filter (
                where daily_sales.local_date > snapshots.snapshot_date - 7
            ) as units_sold_7d,
            sum(daily_sales.units_sold) as units_sold_30d
        from daily_sales
        where
            daily_sales.shop_domain = snapshots.shop_domain
            and daily_sales.sku = snapshots.sku
            and daily_sales.local_date > snapshots.snapshot_date - 30
            and daily_sales.local_date <= snapshots.snapshot_date
    ) as sales on true
),

measured as (
    select
        with_sales.*,
        round(with_sales.units_sold_30d / 30.0, 4) as avg_daily_sales,
        ceil(
            with_sales.units_sold_30d / 30.0
            * ({{ stock_rule('lead_time_days') }} + {{ stock_rule('safety_stock_days') }})
        ) as reorder_point
    from with_sales
),

covered as (
    select
        measured.*,
        case
            when measured.avg_daily_sales > 0
                then floor(greatest(measured.quantity_available, 0) / measured.avg_daily_sales)
        end as days_of_cover
    from measured
),

classified as (
    select
        covered.*,
        case
            when covered.quantity_available <= 0 then 'out_of_stock'
            when covered.days_of_cover > {{ stock_rule('overstock_days_of_cover') }} then 'overstock'
            when
                covered.avg_daily_sales = 0
                and covered.quantity_available > {{ stock_rule('stagnant_overstock_units') }}
                then 'overstock'
            when
                covered.quantity_available <= covered.reorder_point
                or covered.days_of_cover < {{ stock_rule('low_stock_days_of_cover') }}
                then 'low_stock'
            else 'in_stock'
        end as stock_status,
        {{ velocity_tier('covered.units_sold_30d') }} as velocity_tier
    from covered
),

final as (
    select
        {{ typed_columns('classified', {
            'id': deterministic_uuid(
                ['classified.shop_domain', "'sku_day'", 'classified.sku', 'classified.snapshot_date']
            ),
            'shopify_product_id': 'classified.product_id',
            'shopify_variant_id': 'classified.variant_id',
        }) }}
    from classified
),

written as (
    select final.*
    from final
    inner join shops
        on final.shop_domain = shops.shop_domain
    where
        final.snapshot_date = shops.as_of_date
        or {{ changed_rows_only('final', snapshot_key) }}
)

select * from written
