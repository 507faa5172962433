{#- Per shop and raw source entity: rows, newest extraction, last extraction run, quarantined records. -#}

with

raw_tables as (
    select * from {{ ref('stg_warehouse__raw_table_stats') }}
),

ledger as (
    select * from {{ ref('stg_warehouse__load_ledger') }}
),

quarantine as (
    select * from {{ ref('stg_warehouse__quarantine') }}
),

last_runs as (
    select distinct on (source_system, shop_domain, entity)
        source_system,
        shop_domain,
        entity,
        finished_at as last_run_finished_at,
        run_status as last_run_status
    from ledger
    where finished_at is not null
    order by source_system asc, shop_domain asc, entity asc, finished_at desc
),

quarantined as (
    select
        source_system,
        shop_domain,
        entity,
        count(*) as quarantined_rows
    from quarantine
    group by source_system, shop_domain, entity
),

final as (
    select
        raw_tables.shop_domain,
        raw_tables.source_system,
        raw_tables.entity,
        raw_tables.row_count,
        raw_tables.last_extracted_at,
        raw_tables.last_source_updated_at,
        last_runs.last_run_finished_at,
        last_runs.last_run_status,
        coalesce(quarantined.quarantined_rows, 0) as quarantined_rows,
        {{ hotrod_as_of() }} as measured_at
    from raw_tables
    {{ join_each('raw_tables', ['last_runs', 'quarantined'], ['source_system', 'shop_domain', 'entity']) }}
)

select * from final
