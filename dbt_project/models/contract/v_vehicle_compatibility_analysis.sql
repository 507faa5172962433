with

precomputed as (
    select * from {{ ref('pre_vehicle_compatibility_analysis') }}
),

final as (
    select
        shop_domain,
        make,
        compatible_products,
        earliest_year,
        latest_year,
        fits_models,
        revenue_30d,
        units_sold_30d,
        customers_with_vehicle,
        revenue_share_pct
    from precomputed
)

select * from final
