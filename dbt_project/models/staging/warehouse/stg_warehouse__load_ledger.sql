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
        status as run_status,
        api_calls,
        throttled_waits,
        latency_p50_ms,
        latency_p95_ms,
        notes as run_notes
    from source
)

select * from renamed
