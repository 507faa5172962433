with

precomputed as (
    select * from {{ ref('pre_data_quality_comprehensive') }}
),

final as (
    select
        shop_domain,
        check_id,
        check_name,
        table_name,
        severity,
        description,
        failing_rows,
        rows_checked,
        status,
        checked_at
    from precomputed
)

select * from final
