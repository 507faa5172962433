with

source as (
    select * from {{ source('raw_app', 'decision_log') }}
),

renamed as (
    select
        {{ decision_log_columns() }}
    from source
)

select * from renamed
