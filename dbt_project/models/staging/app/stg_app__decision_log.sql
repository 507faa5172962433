with

source as (
    select * from {{ source('raw_app', 'decision_log') }}
),

renamed as (
    select
        shop_domain,
        id as decision_id,
        payload ->> 'actor' as actor,
        lower(payload ->> 'scope') as decision_scope,
        payload ->> 'recommendation' as recommendation,
        lower(payload ->> 'decision') as decision,
        (payload ->> 'created_at')::timestamptz as created_at,
        updated_at,
        extracted_at
    from source
)

select * from renamed
