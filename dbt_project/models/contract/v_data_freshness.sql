with

precomputed as (
    select * from {{ ref('pre_data_freshness') }}
),

final as (
    select
        shop_domain,
        table_name,
        latest_data_date,
        as_of_date,
        days_behind,
        freshness_status
    from precomputed
)

select * from final
