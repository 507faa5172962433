with

shops as (
    select * from {{ ref('shops') }}
),

checks as (
    select * from {{ ref('rpt_data_quality_comprehensive') }}
),

completeness as (
    select * from {{ ref('rpt_data_completeness_metrics') }}
),

freshness as (
    select * from {{ ref('rpt_data_freshness') }}
),

alerts as (
    select * from {{ ref('rpt_data_quality_alerts') }}
),

check_summary as (
    select
        shop_domain,
        count(*) as checks_total,
        {{ counts_by('status', {'pass': 'checks_passed', 'fail': 'checks_failed'}) }},
        count(*) filter (where status = 'fail' and severity = 'critical') as critical_failures
    from checks
    group by shop_domain
),

completeness_summary as (
    select
        shop_domain,
        round(avg(completeness_pct), 2) as avg_completeness_pct
    from completeness
    group by shop_domain
),

freshness_summary as (
    select
        shop_domain,
        count(*) filter (where freshness_status <> 'fresh') as stale_tables,
        max(days_behind) as max_days_behind
    from freshness
    group by shop_domain
),

alert_summary as (
    select
        shop_domain,
        count(*) as open_alerts,
        count(*) filter (where alert_type = 'anomaly') as anomalies_7d
    from alerts
    group by shop_domain
),

final as (
    select
        shops.shop_domain,
        {{ coalesced('check_summary', ['checks_total', 'checks_passed', 'checks_failed']) }},
        {{ views_pct('check_summary.checks_passed', 'check_summary.checks_total') }} as checks_pass_rate_pct,
        completeness_summary.avg_completeness_pct,
        coalesce(freshness_summary.stale_tables, 0) as stale_tables,
        freshness_summary.max_days_behind,
        {{ coalesced('alert_summary', ['open_alerts', 'anomalies_7d']) }},
        case
            when coalesce(check_summary.critical_failures, 0) > 0 then 'critical'
            when coalesce(check_summary.checks_failed, 0) > 0 or coalesce(freshness_summary.stale_tables, 0) > 0
                then 'warning'
            else 'healthy'
        end::vocab.health_status as overall_status
    from shops
    {{ join_each('shops', ['check_summary', 'completeness_summary', 'freshness_summary', 'alert_summary']) }}
)

select * from final
