with

source as (
    select * from {{ source('raw_app', 'shops') }}
),

renamed as (
    select
        shop_domain,
        {{ cast_or_null("payload ->> 'installed_at'", 'timestamptz') }} as installed_at,
        {{ cast_or_null("payload ->> 'activated_at'", 'timestamptz') }} as activated_at,
        {{ cast_or_null("payload ->> 'uninstalled_at'", 'timestamptz') }} as uninstalled_at,
        payload ->> 'plan' as plan,
        updated_at,
        extracted_at
    from source
)

select * from renamed
