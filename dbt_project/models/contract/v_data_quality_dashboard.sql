with

precomputed as (
    select * from {{ ref('pre_data_quality_dashboard') }}
),

final as (
    select
        shop_domain,
        checks_total,
        checks_passed,
        checks_failed,
        checks_pass_rate_pct,
        avg_completeness_pct,
        stale_tables,
        max_days_behind,
        open_alerts,
        anomalies_7d,
        overall_status
    from precomputed
)

select * from final
