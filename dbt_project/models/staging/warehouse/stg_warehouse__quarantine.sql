with

source as (
    select * from {{ source('warehouse_ops', 'quarantine') }}
),

renamed as (
    select
        quarantine_id,
        source as source_system,
        entity,
        shop_domain,
        reason,
        quarantined_at
    from source
)

select * from renamed
