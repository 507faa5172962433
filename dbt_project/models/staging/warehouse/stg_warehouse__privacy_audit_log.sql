with

source as (
    select * from {{ source('warehouse_ops', 'privacy_audit_log') }}
),

renamed as (
    select
        audit_id,
        action,
        shop_domain,
        subject,
        actor,
        requested_at,
        performed_at,
        status,
        counts
    from source
)

select * from renamed
