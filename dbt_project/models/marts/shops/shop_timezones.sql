{{
    config(
        indexes=[{'columns': ['shop_domain'], 'unique': true}],
    )
}}

with

shops as (
    select * from {{ ref('stg_shopify__shops') }}
),

final as (
    select
        shop_domain,
        max(iana_timezone) as iana_timezone,
        max(currency_code) as currency_code
    from shops
    group by shop_domain
)

select * from final
