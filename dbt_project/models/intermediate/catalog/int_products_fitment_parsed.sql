{#-
    Vehicle fitment, parsed in this one place (see the doc block `fitment_grammar`):
    the metafield custom.vehicle_fitment (a JSON array of strings) and tags `fits:<fitment>`,
    each `YYYY[-YYYY] Make Model...`. Year ranges expand to every year; strings that do not
    match the grammar are ignored.
-#}
with

products as (
    select * from {{ ref('stg_shopify__products') }}
),

metafield_fitments as (
    select
        products.shop_domain,
        products.product_id,
        trim(fitment.value) as fitment
    from products
    cross join lateral jsonb_array_elements_text(
        case
            when products.fitment_value ~ '^\s*\[.*\]\s*$' then products.fitment_value::jsonb
            else '[]'::jsonb
        end
    ) as fitment
),

tag_fitments as (
    select
        products.shop_domain,
        products.product_id,
        trim(substr(tag.value, length('fits:') + 1)) as fitment
    from products
    cross join lateral unnest(products.tags) as tag (value)
    where lower(tag.value) like 'fits:%'
),

fitments as (
    select * from metafield_fitments
    union
    select * from tag_fitments
),

parsed as (
    select
        shop_domain,
        product_id,
        fitment,
        regexp_match(fitment, '^([0-9]{4})(?:\s*-\s*([0-9]{4}))?\s+(\S+)\s+(.+)$') as parts
    from fitments
),

vehicles as (
    select
        shop_domain,
        product_id,
        fitment,
        parts[1]::integer as year_from,
        coalesce(parts[2]::integer, parts[1]::integer) as year_to,
        parts[3] as make,
        trim(parts[4]) as model
    from parsed
    where parts is not null
),

years as (
    select
        vehicles.shop_domain,
        vehicles.product_id,
        year.value::integer as fit_year
    from vehicles
    cross join lateral generate_series(
        least(vehicles.year_from, vehicles.year_to),
        greatest(vehicles.year_from, vehicles.year_to)
    ) as year (value)
),

year_arrays as (
    select
        shop_domain,
        product_id,
        array_agg(distinct fit_year order by fit_year) as fits_vehicle_years
    from years
    group by shop_domain, product_id
),

name_arrays as (
    select
        shop_domain,
        product_id,
        array_agg(distinct make order by make) as fits_makes,
        array_agg(distinct model order by model) as fits_models,
        (array_agg(make order by year_from, make, model))[1] as primary_make,
        (array_agg(model order by year_from, make, model))[1] as primary_model,
        min(year_from) as primary_year
    from vehicles
    group by shop_domain, product_id
),

final as (
    select
        products.shop_domain,
        products.product_id,
        coalesce(year_arrays.fits_vehicle_years, array[]::integer[]) as fits_vehicle_years,
        coalesce(name_arrays.fits_makes, array[]::text[]) as fits_makes,
        coalesce(name_arrays.fits_models, array[]::text[]) as fits_models,
        name_arrays.primary_year,
        name_arrays.primary_make,
        name_arrays.primary_model
    from products
    left join year_arrays
        on
            products.shop_domain = year_arrays.shop_domain
            and products.product_id = year_arrays.product_id
    left join name_arrays
        on
            products.shop_domain = name_arrays.shop_domain
            and products.product_id = name_arrays.product_id
)

select * from final
