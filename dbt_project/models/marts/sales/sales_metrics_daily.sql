{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'date'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['shop_domain', 'date desc'], 'unique': true}],
        post_hook=["{{ ensure_contract_constraints() }}"],
    )
}}

{#-
    One row per shop and local day (doc block `sales_day`). Incremental: each run recomputes the
    last `lookback_days` (var, default 7) days before the newest stored day, so late refunds,
    cancellations and edits land on the days they belong to.
-#}

with

ga4 as (
    select * from {{ ref('int_ga4_daily_aggregated') }}
),

daily as (
    select * from {{ ref('int_sales_daily_aggregated') }}
    {% if is_incremental() %}
        where
            local_date >= (
                select coalesce(max(existing.date), '1900-01-01'::date) - {{ lookback_days() }}
                from {{ this }} as existing
            )
            or (shop_domain, local_date) in (
                select ga4.shop_domain, ga4.report_date from ga4
                where ga4.last_extracted_at > (select max(existing.updated_at) from {{ this }} as existing)
            )
    {% endif %}
),

{% if is_incremental() %}
    existing as (
        select
            shop_domain,
            date,
            created_at
        from {{ this }}
    ),
{% endif %}

final as (
    select
        {{ deterministic_uuid(['daily.shop_domain', "'sales_day'", 'daily.local_date']) }} as id,
        daily.shop_domain::text as shop_domain,
        daily.local_date::date as date,
        daily.total_revenue::numeric(14, 2) as total_revenue,
        daily.total_orders::integer as total_orders,
        round(daily.total_revenue / nullif(daily.total_orders, 0), 2)::numeric(14, 2) as avg_order_value,
        {{ pct_change('daily.total_revenue', 'daily.revenue_last_week') }}::numeric(14, 2) as revenue_vs_last_week_pct,
        {{ pct_change('daily.total_orders', 'daily.orders_last_week') }}::numeric(14, 2) as orders_vs_last_week_pct,
        daily.orders_fulfilled::integer as orders_fulfilled,
        round(
            100.0 * daily.orders_fulfilled / nullif(daily.total_orders, 0), 2
        )::numeric(14, 2) as fulfillment_rate_pct,
        daily.refunded_amount::numeric(14, 2) as refunded_amount,
        (daily.total_revenue - daily.refunded_amount)::numeric(14, 2) as net_revenue,
        ga4.sessions::integer as sessions,
        ga4.conversion_rate_pct::numeric(14, 2) as conversion_rate_pct,
        ga4.transactions::integer as ga_transactions,
        ga4.purchase_revenue::numeric(14, 2) as ga_purchase_revenue,
        {% if is_incremental() %}
            coalesce(existing.created_at, '{{ run_started_at }}'::timestamptz)::timestamptz as created_at,
        {% else %}
            '{{ run_started_at }}'::timestamptz as created_at,
        {% endif %}
        '{{ run_started_at }}'::timestamptz as updated_at
    from daily
    left join ga4
        on
            daily.shop_domain = ga4.shop_domain
            and daily.local_date = ga4.report_date
    {% if is_incremental() %}
        left join existing
            on
                daily.shop_domain = existing.shop_domain
                and daily.local_date = existing.date
    {% endif %}
)

select * from final
