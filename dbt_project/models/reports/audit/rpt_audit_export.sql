with

decisions as (
    select * from {{ ref('audit_decision_log') }}
),

shops as (
    select * from {{ ref('shops') }}
),

final as (
    select
        decisions.shop_domain,
        decisions.decision_id,
        decisions.created_at,
        {{ local_date('decisions.created_at', "coalesce(shops.iana_timezone, 'UTC')") }} as decision_local_date,
        decisions.actor,
        decisions.scope,
        decisions.decision,
        decisions.recommendation,
        to_char(decisions.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as created_at_iso
    from decisions
    {{ join_each('decisions', ['shops']) }}
)

select * from final
