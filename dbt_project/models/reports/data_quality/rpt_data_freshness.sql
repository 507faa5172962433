{#- The mart tables whose newest day says whether the daily build keeps up, with that day's column. -#}
{%- set measured = [
    ('sales_metrics_daily', 'date'),
    ('inventory_snapshots', 'snapshot_date'),
    ('fulfillment_tracking', 'order_created_at::date'),
    ('cx_conversations', 'conversation_created_at::date'),
    ('operator_sla_resolution', 'date'),
    ('ceo_time_savings', 'date'),
    ('shop_activation_metrics', 'date'),
] %}

with

shops as (
    select * from {{ ref('shops') }}
),

latest as (
    {%- for table_name, day in measured %}
        select
            shop_domain,
            '{{ table_name }}' as table_name,
            max({{ day }}) as latest_data_date
        from {{ ref(table_name) }}
        group by shop_domain
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        latest.shop_domain,
        latest.table_name,
        latest.latest_data_date,
        shops.as_of_date,
        shops.as_of_date - latest.latest_data_date as days_behind,
        case
            when shops.as_of_date - latest.latest_data_date <= 1 then 'fresh'
            when shops.as_of_date - latest.latest_data_date <= 3 then 'stale'
            else 'critical'
        end::vocab.freshness_status as freshness_status
    from latest
    {{ join_each('latest', ['shops'], ['shop_domain'], 'inner') }}
)

select * from final
