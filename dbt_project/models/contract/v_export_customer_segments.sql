with

customers as (
    select * from {{ ref('customer_segments') }}
),

final as (
    select
        shop_domain,
        shopify_customer_id,
        primary_segment,
        segment_confidence,
        lifecycle_stage,
        total_orders,
        total_revenue,
        avg_order_value,
        days_since_first_order,
        days_since_last_order,
        top_category_l1,
        top_category_l2,
        prefers_performance,
        prefers_restoration,
        primary_vehicle_year,
        primary_vehicle_make,
        primary_vehicle_model,
        support_tickets_count,
        review_count,
        avg_review_rating,
        segmented_at,
        updated_at
    from customers
)

select * from final
