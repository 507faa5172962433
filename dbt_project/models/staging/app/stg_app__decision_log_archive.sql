with

source as (
    select * from {{ source('raw_app', 'decision_log_archive') }}
),

renamed as (
    select
        {{ decision_log_columns() }},
        archived_at
    from source
)

select * from renamed
