with

decisions as (
    select * from {{ ref('stg_app__decision_log') }}
),

final as (
    select
        shop_domain,
        decision_id,
        actor,
        decision_scope as scope,
        recommendation,
        decision,
        coalesce(created_at, updated_at) as created_at
    from decisions
)

select * from final
