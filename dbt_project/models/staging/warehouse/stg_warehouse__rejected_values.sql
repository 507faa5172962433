{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook=["{{ delete_changed_keys(rechecked_source_records(rejected_value_sources()), ['source_table', 'shop_domain', 'record_key']) }}"],
        indexes=[
            {'columns': ['shop_domain', 'source_table']},
            {'columns': ['source_table', 'shop_domain', 'record_key']},
        ],
    )
}}

{#-
    Bad values outside the order path (issue 20): every raw value of customers, products and their
    variants, inventory levels, locations, shops, the app tables, Chatwoot and GA4 that staging
    could not cast (cast_or_null, epoch_to_timestamp, yyyymmdd_to_date made it null), one row per
    value, naming the raw table, the record's key, the field and the raw text. Orders and their
    lines, refunds and fulfillments are listed by stg_shopify__rejected_values. A record whose key
    does not parse is not staged at all (it is listed here). The fields checked are
    rejected_value_sources(): the casts the staging models make.

    Incremental by record (issue 17: a scan of every raw payload took 89 s of the full build and
    66 s of the daily run at 1M orders): a run re-checks only the raw records landed since the
    model's watermark; its pre-hook first deletes the rows of those records and of the records gone
    from their raw table or no longer staged (a customer deleted in Shopify) with
    rechecked_source_records(), so a value fixed at the source or a record deleted leaves this list
    at the next build, as when it was rebuilt in full.
-#}

with

checked_values as (
    {%- for table in rejected_value_sources() %}
        {{ rejected_values_select(table, since_watermark=is_incremental()) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

rejected as (
    select
        {{ deterministic_uuid(
            ['source_table', 'shop_domain', 'record_key', "coalesce(child_key, '')", 'field_name']
        ) }} as rejected_value_id,
        shop_domain,
        source_table,
        record_key,
        child_key,
        field_name,
        raw_value,
        expected_type,
        extracted_at
    from checked_values
)

select * from rejected
