{#- One row per shop: its time zone, currency and local "today" at the as-of instant. -#}

with

shops as (
    select * from {{ ref('stg_shopify__shops') }}
),

per_shop as (
    select
        shop_domain,
        coalesce(max(iana_timezone), 'UTC') as iana_timezone,
        max(currency_code) as currency_code
    from shops
    group by shop_domain
),

final as (
    select
        shop_domain,
        iana_timezone,
        currency_code,
        {{ hotrod_as_of() }} as as_of_at,
        {{ views_local_today('iana_timezone') }} as as_of_date
    from per_shop
)

select * from final
