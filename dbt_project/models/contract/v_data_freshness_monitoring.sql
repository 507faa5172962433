{#- As of query: how long ago each raw source was extracted, measured when the view is read. -#}
select
    shop_domain,
    source_system,
    entity,
    row_count,
    last_extracted_at,
    last_source_updated_at,
    {{ hours_since('last_extracted_at') }} as hours_since_extract,
    last_run_finished_at,
    last_run_status,
    {{ hours_since('last_run_finished_at') }} as hours_since_last_run,
    quarantined_rows,
    {{ extraction_freshness(hours_since('last_extracted_at')) }} as freshness_status,
    measured_at as measured_at_build
from {{ ref('source_freshness') }}
