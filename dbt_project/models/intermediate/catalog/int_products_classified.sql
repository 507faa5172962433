{#-
    Category levels from the taxonomy seed and the performance / restoration / custom fabrication
    flags (doc block `part_focus_flags`): tags `performance`, `restoration`, `custom-fab` decide
    when any is present; otherwise the taxonomy's part_focus for the product type does.
-#}
with

products as (
    select * from {{ ref('stg_shopify__products') }}
),

taxonomy as (
    select * from {{ ref('product_taxonomy') }}
),

fitment as (
    select * from {{ ref('int_products_fitment_parsed') }}
),

tagged as (
    select
        products.*,
        'performance' = any(products.tags) as tag_performance,
        'restoration' = any(products.tags) as tag_restoration,
        'custom-fab' = any(products.tags) as tag_fabrication
    from products
),

classified as (
    select
        tagged.shop_domain,
        tagged.product_id,
        tagged.product_gid,
        tagged.product_title,
        tagged.product_type,
        tagged.tags,
        tagged.created_at,
        tagged.updated_at,
        coalesce(taxonomy.category_l1, 'Uncategorized') as category_l1,
        coalesce(taxonomy.category_l2, 'Uncategorized') as category_l2,
        coalesce(taxonomy.category_l3, coalesce(tagged.product_type, 'Uncategorized')) as category_l3,
        taxonomy.part_focus,
        case
            when tagged.tag_performance or tagged.tag_restoration or tagged.tag_fabrication
                then tagged.tag_performance
            else coalesce(taxonomy.part_focus = 'performance', false)
        end as is_performance_part,
        case
            when tagged.tag_performance or tagged.tag_restoration or tagged.tag_fabrication
                then tagged.tag_restoration
            else coalesce(taxonomy.part_focus = 'restoration', false)
        end as is_restoration_part,
        case
            when tagged.tag_performance or tagged.tag_restoration or tagged.tag_fabrication
                then tagged.tag_fabrication
            else coalesce(taxonomy.part_focus = 'fabrication', false)
        end as is_custom_fabrication,
        fitment.fits_vehicle_years,
        fitment.fits_makes,
        fitment.fits_models,
        fitment.primary_year,
        fitment.primary_make,
        fitment.primary_model
    from tagged
    left join taxonomy
        on tagged.product_type = taxonomy.product_type
    left join fitment
        on
            tagged.shop_domain = fitment.shop_domain
            and tagged.product_id = fitment.product_id
)

select * from classified
