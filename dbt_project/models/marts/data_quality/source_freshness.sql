{{
    config(
        indexes=[{'columns': ['shop_domain']}],
    )
}}

with

raw_tables as (
    select
        'shopify' as source_system,
        'shops' as entity,
        shop_domain,
        count(*) as row_count,
        max(extracted_at) as last_extracted_at,
        max(updated_at) as last_source_updated_at
    from {{ source('raw_shopify', 'shops') }}
    group by shop_domain

    union all

    select
        'shopify' as source_system,
        'locations' as entity,
        shop_domain,
        count(*) as row_count,
        max(extracted_at) as last_extracted_at,
        max(updated_at) as last_source_updated_at
    from {{ source('raw_shopify', 'locations') }}
    group by shop_domain

    union all

    select
        'shopify' as source_system,
        'products' as entity,
        shop_domain,
        count(*) as row_count,
        max(extracted_at) as last_extracted_at,
        max(updated_at) as last_source_updated_at
    from {{ source('raw_shopify', 'products') }}
    group by shop_domain

    union all

    select
        'shopify' as source_system,
        'inventory_levels' as entity,
        shop_domain,
        count(*) as row_count,
        max(extracted_at) as last_extracted_at,
        max(updated_at) as last_source_updated_at
    from {{ source('raw_shopify', 'inventory_levels') }}
    group by shop_domain

    union all

    select
        'shopify' as source_system,
        'customers' as entity,
        shop_domain,
        count(*) as row_count,
        max(extracted_at) as last_extracted_at,
        max(updated_at) as last_source_updated_at
    from {{ source('raw_shopify', 'customers') }}
    group by shop_domain

    union all

    select
        'shopify' as source_system,
        'orders' as entity,
        shop_domain,
        count(*) as row_count,
        max(extracted_at) as last_extracted_at,
        max(updated_at) as last_source_updated_at
    from {{ source('raw_shopify', 'orders') }}
    group by shop_domain

    union all

    select
        'chatwoot' as source_system,
        'conversations' as entity,
        shop_domain,
        count(*) as row_count,
        max(extracted_at) as last_extracted_at,
        max(updated_at) as last_source_updated_at
    from {{ source('raw_chatwoot', 'conversations') }}
    group by shop_domain

    union all

    select
        'chatwoot' as source_system,
        'messages' as entity,
        shop_domain,
        count(*) as row_count,
        max(extracted_at) as last_extracted_at,
        max(updated_at) as last_source_updated_at
    from {{ source('raw_chatwoot', 'messages') }}
    group by shop_domain

    union all

    select
        'chatwoot' as source_system,
        'agents' as entity,
        shop_domain,
        count(*) as row_count,
        max(extracted_at) as last_extracted_at,
        max(updated_at) as last_source_updated_at
    from {{ source('raw_chatwoot', 'agents') }}
    group by shop_domain

    union all

    select
        'chatwoot' as source_system,
        'inboxes' as entity,
        shop_domain,
        count(*) as row_count,
        max(extracted_at) as last_extracted_at,
        max(updated_at) as last_source_updated_at
    from {{ source('raw_chatwoot', 'inboxes') }}
    group by shop_domain

    union all

    select
        'chatwoot' as source_system,
        'contacts' as entity,
        shop_domain,
        count(*) as row_count,
        max(extracted_at) as last_extracted_at,
        max(updated_at) as last_source_updated_at
    from {{ source('raw_chatwoot', 'contacts') }}
    group by shop_domain

    union all

    select
        'app' as source_system,
        'shops' as entity,
        shop_domain,
        count(*) as row_count,
        max(extracted_at) as last_extracted_at,
        max(updated_at) as last_source_updated_at
    from {{ source('raw_app', 'shops') }}
    group by shop_domain

    union all

    select
        'app' as source_system,
        'decision_log' as entity,
        shop_domain,
        count(*) as row_count,
        max(extracted_at) as last_extracted_at,
        max(updated_at) as last_source_updated_at
    from {{ source('raw_app', 'decision_log') }}
    group by shop_domain

    union all

    select
        'app' as source_system,
        'ceo_time_entries' as entity,
        shop_domain,
        count(*) as row_count,
        max(extracted_at) as last_extracted_at,
        max(updated_at) as last_source_updated_at
    from {{ source('raw_app', 'ceo_time_entries') }}
    group by shop_domain
),

ledger as (
    select * from {{ source('warehouse_ops', 'load_ledger') }}
),

quarantine as (
    select * from {{ source('warehouse_ops', 'quarantine') }}
),

last_runs as (
    select distinct on (source, shop_domain, entity)
        source as source_system,
        shop_domain,
        entity,
        finished_at as last_run_finished_at,
        status as last_run_status
    from ledger
    where finished_at is not null
    order by source asc, shop_domain asc, entity asc, finished_at desc
),

quarantined as (
    select
        source as source_system,
        shop_domain,
        entity,
        count(*) as quarantined_rows
    from quarantine
    group by source, shop_domain, entity
),

final as (
    select
        raw_tables.shop_domain,
        raw_tables.source_system,
        raw_tables.entity,
        raw_tables.row_count,
        raw_tables.last_extracted_at,
        raw_tables.last_source_updated_at,
        last_runs.last_run_finished_at,
        last_runs.last_run_status,
        coalesce(quarantined.quarantined_rows, 0) as quarantined_rows,
        {{ hotrod_as_of() }} as measured_at
    from raw_tables
    left join last_runs
        on
            raw_tables.source_system = last_runs.source_system
            and raw_tables.shop_domain = last_runs.shop_domain
            and raw_tables.entity = last_runs.entity
    left join quarantined
        on
            raw_tables.source_system = quarantined.source_system
            and raw_tables.shop_domain = quarantined.shop_domain
            and raw_tables.entity = quarantined.entity
)

select * from final
