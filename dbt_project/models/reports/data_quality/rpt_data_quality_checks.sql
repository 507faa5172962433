with

checklist as (
    select
        shop_domain,
        check_name,
        table_name,
        severity,
        failing_rows,
        status,
        checked_at
    from {{ ref('rpt_data_quality_comprehensive') }}
    where check_name in (
        'missing_revenue', 'negative_inventory', 'missing_segment', 'future_dates', 'negative_resolution_time',
        'orders_in_future', 'rejected_values', 'currency_mismatch', 'bad_quantities', 'missing_totals',
        'rejected_source_values'
    )
),

access_checks as (
    select * from {{ ref('stg_warehouse__access_checks') }}
),

shops as (
    select * from {{ ref('shops') }}
),

access_rows as (
    select
        access_checks.shop_domain,
        access_checks.check_name,
        'access_checks' as table_name,
        'critical'::vocab.severity as severity,
        (case when access_checks.passed then 0 else 1 end)::bigint as failing_rows,
        (case when access_checks.passed then 'pass' else 'fail' end)::vocab.check_status as status,
        {{ hotrod_as_of() }} as checked_at
    from access_checks
    inner join shops
        on access_checks.shop_domain = shops.shop_domain
),

final as (
    select * from checklist
    union all
    select * from access_rows
)

select * from final
