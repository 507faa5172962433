with

precomputed as (
    select * from {{ ref('pre_data_quality_alerts') }}
),

final as (
    select
        shop_domain,
        alert_type,
        alert_source,
        severity,
        severity_rank,
        alert_message,
        detected_at
    from precomputed
)

select * from final
