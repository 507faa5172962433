with

freshness as (
    select * from {{ ref('source_freshness') }}
),

aged as (
    select
        *,
        round(extract(epoch from ({{ hotrod_as_of() }} - last_extracted_at))::numeric / 3600, 2)
            as hours_since_extract,
        round(extract(epoch from ({{ hotrod_as_of() }} - last_run_finished_at))::numeric / 3600, 2)
            as hours_since_last_run
    from freshness
),

final as (
    select
        shop_domain,
        source_system,
        entity,
        row_count,
        last_extracted_at,
        last_source_updated_at,
        hours_since_extract,
        last_run_finished_at,
        last_run_status,
        hours_since_last_run,
        quarantined_rows,
        case
            when hours_since_extract <= 26 then 'fresh'
            when hours_since_extract <= 50 then 'warn'
            else 'stale'
        end as freshness_status,
        measured_at as measured_at_build
    from aged
)

select * from final
