with

categories as (
    select * from {{ ref('product_categories') }}
),

skus as (
    select * from {{ ref('sku_performance') }}
),

customers as (
    select * from {{ ref('customer_segments') }}
),

product_revenue as (
    select
        shop_domain,
        shopify_product_id,
        sum(revenue_30d) as revenue_30d,
        sum(units_sold_30d) as units_sold_30d
    from skus
    group by 1, 2
),

product_makes as (
    select
        categories.shop_domain,
        categories.shopify_product_id,
        make.make,
        categories.fits_vehicle_years,
        categories.fits_models
    from categories
    cross join lateral unnest(categories.fits_makes) as make (make)
),

by_make as (
    select
        product_makes.shop_domain,
        product_makes.make,
        count(distinct product_makes.shopify_product_id) as compatible_products,
        min((select min(y.year) from unnest(product_makes.fits_vehicle_years) as y (year))) as earliest_year,
        max((select max(y.year) from unnest(product_makes.fits_vehicle_years) as y (year))) as latest_year,
        coalesce(sum(product_revenue.revenue_30d), 0) as revenue_30d,
        coalesce(sum(product_revenue.units_sold_30d), 0) as units_sold_30d
    from product_makes
    {{ join_each('product_makes', ['product_revenue'], ['shop_domain', 'shopify_product_id']) }}
    group by 1, 2
),

models_by_make as (
    select
        shop_domain,
        make,
        array_agg(distinct model order by model) as models
    from product_makes
    cross join lateral unnest(fits_models) as m (model)
    group by 1, 2
),

customer_vehicles as (
    select
        shop_domain,
        primary_vehicle_make as make,
        count(*) as customers_with_vehicle
    from customers
    where primary_vehicle_make is not null
    group by 1, 2
),

final as (
    select
        by_make.shop_domain,
        by_make.make,
        by_make.compatible_products,
        by_make.earliest_year,
        by_make.latest_year,
        coalesce(models_by_make.models, array[]::text[]) as fits_models,
        by_make.revenue_30d,
        by_make.units_sold_30d,
        coalesce(customer_vehicles.customers_with_vehicle, 0) as customers_with_vehicle,
        {{ views_pct('by_make.revenue_30d', 'sum(by_make.revenue_30d) over (partition by by_make.shop_domain)', 2) }}
            as revenue_share_pct
    from by_make
    {{ join_each('by_make', ['models_by_make', 'customer_vehicles'], ['shop_domain', 'make']) }}
)

select * from final
