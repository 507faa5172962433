with

checks as (
    select * from {{ ref('v_data_quality_comprehensive') }}
),

final as (
    select
        shop_domain,
        check_name,
        table_name,
        severity,
        failing_rows as issue_count,
        status,
        checked_at
    from checks
    where check_name in (
        'missing_revenue',
        'negative_inventory',
        'missing_segment',
        'future_dates',
        'negative_resolution_time'
    )
)

select * from final
