with

checks as (
    select * from {{ ref('rpt_data_quality_comprehensive') }}
),

freshness as (
    select * from {{ ref('rpt_data_freshness') }}
),

source_tables as (
    select * from {{ ref('source_freshness') }}
),

sources as (
    select
        *,
        {{ hours_since('last_extracted_at') }} as hours_since_extract,
        {{ extraction_freshness(hours_since('last_extracted_at')) }} as freshness_status
    from source_tables
),

anomalies as (
    select * from {{ ref('rpt_data_anomalies') }}
),

rejected_values as (
    select * from {{ ref('stg_shopify__rejected_values') }}
),

source_rejected_values as (
    select * from {{ ref('stg_warehouse__rejected_values') }}
),

order_issues as (
    select * from {{ ref('int_orders_data_issues') }}
),

rejected_messages as (
    -- a value of an order (the order is not counted) or of another source's record
    select
        shop_domain,
        source_table,
        'order ' || order_gid
        || coalesce(' line ' || child_gid, case when child_position > 0 then ' #' || child_position else '' end)
        || ': ' || field_name || ' = ''' || left(coalesce(raw_value, ''), 80) || ''' is not '
        || expected_type || ' (null in staging; order not counted)' as rejected_message
    from rejected_values

    union all

    select
        shop_domain,
        source_table,
        source_table || ' ' || record_key || coalesce(' ' || child_key, '')
        || ': ' || field_name || ' = ''' || left(coalesce(raw_value, ''), 80) || ''' is not '
        || expected_type || ' (null in staging)' as rejected_message
    from source_rejected_values
),

latency as (
    select * from {{ ref('rpt_api_latency_daily') }}
),

alerts as (
    select
        shop_domain,
        'quality_check' as alert_type,
        table_name as alert_source,
        severity::text as severity,
        check_name || ': ' || failing_rows || ' failing rows - ' || description as alert_message,
        checked_at as detected_at
    from checks
    where status = 'fail'

    union all

    select
        shop_domain,
        'stale_table' as alert_type,
        table_name as alert_source,
        case when freshness_status = 'critical' then 'high' else 'medium' end as severity,
        table_name || ' latest data is ' || days_behind || ' days old' as alert_message,
        {{ hotrod_as_of() }} as detected_at
    from freshness
    where freshness_status <> 'fresh'

    union all

    select
        shop_domain,
        'stale_source' as alert_type,
        source_system || '.' || entity as alert_source,
        case when freshness_status = 'stale' then 'high' else 'medium' end as severity,
        source_system || '.' || entity || ' last extracted ' || hours_since_extract || ' hours ago' as alert_message,
        {{ hotrod_as_of() }} as detected_at
    from sources
    where freshness_status <> 'fresh'

    union all

    select
        shop_domain,
        'quarantined_records' as alert_type,
        source_system || '.' || entity as alert_source,
        'medium' as severity,
        quarantined_rows || ' records quarantined for ' || source_system || '.' || entity as alert_message,
        {{ hotrod_as_of() }} as detected_at
    from sources
    where quarantined_rows > 0

    union all

    -- bad values (issue 20): each value that did not parse, each order kept out of money figures
    select
        shop_domain,
        'rejected_value' as alert_type,
        source_table as alert_source,
        'medium' as severity,
        rejected_message as alert_message,
        {{ hotrod_as_of() }} as detected_at
    from rejected_messages

    union all

    select
        shop_domain,
        'flagged_order' as alert_type,
        'stg_shopify__orders' as alert_source,
        'medium' as severity,
        'order ' || order_id || ': ' || issue || ' (' || detail || '); not counted' as alert_message,
        {{ hotrod_as_of() }} as detected_at
    from order_issues
    where issue <> 'rejected_value'

    union all

    select
        shop_domain,
        'anomaly' as alert_type,
        metric as alert_source,
        case when abs(z_score) >= 4 then 'high' else 'medium' end as severity,
        metric || ' ' || direction || ' on ' || metric_date || ': ' || metric_value
        || ' vs 28-day mean ' || baseline_mean || ' (z=' || z_score || ')' as alert_message,
        metric_date::timestamptz as detected_at
    from anomalies
    where is_anomaly and metric_date >= ({{ hotrod_as_of() }})::date - 7

    union all

    select
        shop_domain,
        'api_latency' as alert_type,
        source_system || '.' || endpoint_kind as alert_source,
        case when latency_p95_ms >= 4 * p95_7d_median_ms then 'high' else 'medium' end as severity,
        source_system || '.' || endpoint_kind || ' p95 latency ' || latency_p95_ms || ' ms on ' || date
        || ' vs 7-day median ' || p95_7d_median_ms || ' ms' as alert_message,
        date::timestamptz as detected_at
    from latency
    where is_latency_spike and date >= ({{ hotrod_as_of() }})::date - 1
),

final as (
    select
        shop_domain,
        alert_type,
        alert_source,
        severity::vocab.severity as severity,
        {{ severity_rank('severity') }} as severity_rank,
        alert_message,
        detected_at
    from alerts
)

select * from final
