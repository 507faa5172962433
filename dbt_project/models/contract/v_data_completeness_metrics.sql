with

precomputed as (
    select * from {{ ref('pre_data_completeness_metrics') }}
),

final as (
    select
        shop_domain,
        table_name,
        column_name,
        total_rows,
        non_null_rows,
        missing_rows,
        completeness_pct
    from precomputed
)

select * from final
