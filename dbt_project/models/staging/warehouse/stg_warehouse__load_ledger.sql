with

source as (
    select * from {{ source('warehouse_ops', 'load_ledger') }}
),

renamed as (
    select
        batch_id,
        source as source_system,
        shop_domain,
        entity,
        mode as load_mode,
        started_at,
        finished_at,
        status as run_status
    from source
)

select * from renamed
