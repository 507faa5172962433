with

shops as (
    select * from {{ ref('shop_timezones') }}
),

resolution as (
    select * from {{ ref('operator_sla_resolution') }}
),

window_rows as (
    select resolution.*
    from resolution
    inner join shops
        on resolution.shop_domain = shops.shop_domain
    where
        resolution.date > {{ views_local_today('shops.iana_timezone') }} - 30
        and resolution.date <= {{ views_local_today('shops.iana_timezone') }}
),

per_operator as (
    select
        shop_domain,
        operator_id,
        sum(sla_breaches_detected) as sla_breaches_detected,
        sum(sla_breaches_resolved) as sla_breaches_resolved,
        coalesce(sum(sla_breaches_resolved)::numeric / nullif(sum(sla_breaches_detected), 0), 1)
            as resolution_ratio,
        avg(median_response_time) as avg_median_response_time
    from window_rows
    group by shop_domain, operator_id
),

scored as (
    select
        *,
        -- 60% resolution ratio, 40% speed (120-minute SLA target: 0 min scores 1, >= 240 min scores 0)
        round(
            100 * (
                0.6 * resolution_ratio
                + 0.4 * greatest(0, 1 - coalesce(avg_median_response_time, 240) / 240.0)
            ),
            1
        ) as efficiency_score
    from per_operator
),

final as (
    select
        shop_domain,
        operator_id,
        sla_breaches_detected,
        sla_breaches_resolved,
        round(100 * resolution_ratio, 1) as resolution_rate_pct,
        round(avg_median_response_time, 1) as avg_median_response_time,
        efficiency_score,
        rank() over (partition by shop_domain order by efficiency_score desc) as efficiency_rank,
        rank() over (partition by shop_domain order by sla_breaches_resolved desc) as volume_rank,
        case
            when percent_rank() over (partition by shop_domain order by efficiency_score) >= 0.75
                then 'top'
            when percent_rank() over (partition by shop_domain order by efficiency_score) >= 0.25
                then 'middle'
            else 'bottom'
        end as performance_band
    from scored
)

select * from final
