{#- The columns whose completeness is measured: (table, column, the value counted as present). -#}
{%- set checked = [
    ('customer_segments', 'primary_segment', 'primary_segment'),
    ('customer_segments', 'primary_vehicle_make', 'primary_vehicle_make'),
    ('product_categories', 'category_l1', 'category_l1'),
    ('product_categories', 'margin_pct', 'margin_pct'),
    ('fulfillment_tracking', 'customer_segment', 'customer_segment'),
    ('cx_conversations', 'sentiment', 'sentiment'),
    ('cx_conversations', 'shopify_order_id', 'shopify_order_id'),
    ('sku_performance', 'sku', "nullif(sku, '')"),
] %}

with

counts as (
    {% call(check) union_all_over(checked) %}
        select
            shop_domain,
            '{{ check[0] }}' as table_name,
            '{{ check[1] }}' as column_name,
            count(*) as total_rows,
            count({{ check[2] }}) as non_null_rows
        from {{ ref(check[0]) }}
        group by shop_domain
    {% endcall %}
),

final as (
    select
        shop_domain,
        table_name,
        column_name,
        total_rows,
        non_null_rows,
        total_rows - non_null_rows as missing_rows,
        {{ views_pct('non_null_rows', 'total_rows', 2) }} as completeness_pct
    from counts
)

select * from final
