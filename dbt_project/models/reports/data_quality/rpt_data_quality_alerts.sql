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
    {#-
        One branch per kind of alert: the relation read and which of its rows alert (default:
        all), then the alert's source, severity and message (SQL over that relation) and when it
        was detected (default: the as-of time). Bad values (issue 20): each value that did not
        parse, each order kept out of money figures.
    -#}
    {%- set alert_kinds = [{
        'alert_type': 'quality_check',
        'relation': 'checks',
        'where': "status = 'fail'",
        'alert_source': 'table_name',
        'severity': 'severity::text',
        'alert_message': "check_name || ': ' || failing_rows || ' failing rows - ' || description",
        'detected_at': 'checked_at',
    }, {
        'alert_type': 'stale_table',
        'relation': 'freshness',
        'where': "freshness_status <> 'fresh'",
        'alert_source': 'table_name',
        'severity': "case when freshness_status = 'critical' then 'high' else 'medium' end",
        'alert_message': "table_name || ' latest data is ' || days_behind || ' days old'",
    }, {
        'alert_type': 'stale_source',
        'relation': 'sources',
        'where': "freshness_status <> 'fresh'",
        'alert_source': "source_system || '.' || entity",
        'severity': "case when freshness_status = 'stale' then 'high' else 'medium' end",
        'alert_message': "source_system || '.' || entity || ' last extracted ' || hours_since_extract"
            ~ " || ' hours ago'",
    }, {
        'alert_type': 'quarantined_records',
        'relation': 'sources',
        'where': 'quarantined_rows > 0',
        'alert_source': "source_system || '.' || entity",
        'severity': "'medium'",
        'alert_message': "quarantined_rows || ' records quarantined for ' || source_system || '.' || entity",
    }, {
        'alert_type': 'rejected_value',
        'relation': 'rejected_messages',
        'alert_source': 'source_table',
        'severity': "'medium'",
        'alert_message': 'rejected_message',
    }, {
        'alert_type': 'flagged_order',
        'relation': 'order_issues',
        'where': "issue <> 'rejected_value'",
        'alert_source': "'stg_shopify__orders'",
        'severity': "'medium'",
        'alert_message': "'order ' || order_id || ': ' || issue || ' (' || detail || '); not counted'",
    }, {
        'alert_type': 'anomaly',
        'relation': 'anomalies',
        'where': 'is_anomaly and metric_date >= (' ~ hotrod_as_of() ~ ')::date - 7',
        'alert_source': 'metric',
        'severity': "case when abs(z_score) >= 4 then 'high' else 'medium' end",
        'alert_message': "metric || ' ' || direction || ' on ' || metric_date || ': ' || metric_value"
            ~ " || ' vs 28-day mean ' || baseline_mean || ' (z=' || z_score || ')'",
        'detected_at': 'metric_date::timestamptz',
    }, {
        'alert_type': 'api_latency',
        'relation': 'latency',
        'where': 'is_latency_spike and date >= (' ~ hotrod_as_of() ~ ')::date - 1',
        'alert_source': "source_system || '.' || endpoint_kind",
        'severity': "case when latency_p95_ms >= 4 * p95_7d_median_ms then 'high' else 'medium' end",
        'alert_message': "source_system || '.' || endpoint_kind || ' p95 latency ' || latency_p95_ms"
            ~ " || ' ms on ' || date || ' vs 7-day median ' || p95_7d_median_ms || ' ms'",
        'detected_at': 'date::timestamptz',
    }] %}
    {% call(kind) union_all_over(alert_kinds) %}
        select
            shop_domain,
            '{{ kind.alert_type }}' as alert_type,
            {{ kind.alert_source }} as alert_source,
            {{ kind.severity }} as severity,
            {{ kind.alert_message }} as alert_message,
            {{ kind.get('detected_at', hotrod_as_of()) }} as detected_at
        from {{ kind.relation }}
        where {{ kind.get('where', 'true') }}
    {% endcall %}
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
