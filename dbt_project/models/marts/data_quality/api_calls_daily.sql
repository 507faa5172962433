{#-
    API behaviour per shop, local day, source and endpoint kind (the entity read: one endpoint or
    query per entity), from the load ledger's extraction runs (webhook deliveries make no call).
-#}

with

{{ import_ctes(ledger='stg_warehouse__load_ledger', shops='shops') }},

runs as (
    select
        ledger.*,
        (ledger.started_at at time zone coalesce(shops.iana_timezone, 'UTC'))::date as local_date
    from ledger
    {{ join_each('ledger', ['shops']) }}
    where ledger.load_mode <> 'webhook' and ledger.run_status <> 'running'
),

final as (
    select
        shop_domain,
        local_date as date,
        source_system,
        entity as endpoint_kind,
        count(*)::integer as runs,
        coalesce(sum(api_calls), 0)::integer as api_calls,
        round(
            (
                sum(latency_p50_ms * api_calls)
                / nullif(sum(api_calls) filter (where latency_p50_ms is not null), 0)
            )::numeric,
            2
        ) as latency_p50_ms,
        round(max(latency_p95_ms)::numeric, 2) as latency_p95_ms,
        coalesce(sum(throttled_waits), 0)::integer as throttled_waits,
        (count(*) filter (where run_status in ('failed', 'interrupted')))::integer as failed_runs
    from runs
    group by shop_domain, local_date, source_system, entity
)

select * from final
