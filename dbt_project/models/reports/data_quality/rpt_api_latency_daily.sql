{#-
    API latency watched (doc block `api_latency`): per shop, local day of the last 30, source and
    endpoint kind, the calls, p50/p95 latency, throttled waits and failed runs, with the median of
    the p95 of the 7 days before; a day whose p95 is at least twice that median is a spike.
-#}

with

{{ import_ctes(shops='shops', calls='api_calls_daily') }},

with_baseline as (
    select
        calls.*,
        (
            select percentile_cont(0.5) within group (order by before.latency_p95_ms)
            from calls as before
            where
                before.shop_domain = calls.shop_domain
                and before.source_system = calls.source_system
                and before.endpoint_kind = calls.endpoint_kind
                and before.date >= calls.date - 7
                and before.date < calls.date
        ) as p95_7d_median_ms
    from calls
),

final as (
    select
        with_baseline.shop_domain,
        with_baseline.date,
        with_baseline.source_system,
        with_baseline.endpoint_kind,
        with_baseline.runs,
        with_baseline.api_calls,
        with_baseline.latency_p50_ms,
        with_baseline.latency_p95_ms,
        with_baseline.throttled_waits,
        with_baseline.failed_runs,
        round(with_baseline.p95_7d_median_ms::numeric, 2) as p95_7d_median_ms,
        coalesce(with_baseline.latency_p95_ms >= 2 * with_baseline.p95_7d_median_ms, false) as is_latency_spike
    from with_baseline
    {{ join_each('with_baseline', ['shops'], ['shop_domain'], 'inner') }}
    where {{ within_last_days('with_baseline.date', 30) }}
)

select * from final
