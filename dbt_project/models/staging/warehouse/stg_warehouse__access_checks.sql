with

source as (
    select * from {{ source('warehouse_ops', 'access_checks') }}
),

renamed as (
    select
        source as source_system,
        shop_domain,
        check_name,
        passed,
        detail,
        batch_id,
        checked_at
    from source
)

select * from renamed
