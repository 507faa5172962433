{{
    config(
        materialized='incremental',
        unique_key=['shop_domain', 'date'],
        indexes=[{'columns': ['shop_domain', 'date desc'], 'unique': true}],
        post_hook=[
            "{{ delete_vanished_rows(ref('int_sales_daily_aggregated'), {'shop_domain': 'shop_domain', 'date': 'local_date'}) }}",
        ],
    )
}}

{#-
    One row per shop and local day (doc block `sales_day`). Incremental by key (issue 20): the
    day figures are recomputed from int_sales_daily_aggregated and only the days whose figures
    differ from the stored ones (or that are new) are written (delete+insert); days that no
    longer exist (the spine moved, e.g. a future-dated order fixed) are deleted. So late
    refunds, cancellations, edits and deleted orders land on every day they touch, however old,
    and the table always equals a full rebuild (bar created_at/updated_at). GA4's columns
    (issue 19) take part: a day whose GA4 traffic lands or is revised later is rewritten too.
-#}

with

daily as (
    select * from {{ ref('int_sales_daily_aggregated') }}
),

ga4 as (
    select * from {{ ref('int_ga4_daily_aggregated') }}
),

computed as (
    select
        {{ typed_columns('daily', {
            'id': deterministic_uuid(['daily.shop_domain', "'sales_day'", 'daily.local_date']),
            'date': 'daily.local_date',
            'avg_order_value': 'round(daily.total_revenue / nullif(daily.total_orders, 0), 2)',
            'revenue_vs_last_week_pct': pct_change('daily.total_revenue', 'daily.revenue_last_week'),
            'orders_vs_last_week_pct': pct_change('daily.total_orders', 'daily.orders_last_week'),
            'fulfillment_rate_pct': 'round(100.0 * daily.orders_fulfilled / nullif(daily.total_orders, 0), 2)',
            'net_revenue': 'daily.total_revenue - daily.refunded_amount',
            'sessions': 'ga4.sessions',
            'conversion_rate_pct': 'ga4.conversion_rate_pct',
            'ga_transactions': 'ga4.transactions',
            'ga_purchase_revenue': 'ga4.purchase_revenue',
        }, without=['created_at', 'updated_at']) }}
    from daily
    left join ga4
        on
            daily.shop_domain = ga4.shop_domain
            and daily.local_date = ga4.report_date
),

changed as (
    select * from computed
    where {{ changed_rows_only('computed', {'shop_domain': 'shop_domain', 'date': 'date'}) }}
),

final as (
    select
        changed.*,
        {% if is_incremental() %}
            coalesce(existing.created_at, '{{ run_started_at }}'::timestamptz)::timestamptz as created_at,
        {% else %}
            '{{ run_started_at }}'::timestamptz as created_at,
        {% endif %}
        '{{ run_started_at }}'::timestamptz as updated_at
    from changed
    {% if is_incremental() %}
        left join {{ this }} as existing
            on
                changed.shop_domain = existing.shop_domain
                and changed.date = existing.date
    {% endif %}
)

select * from final
