-- Method: weighted mean of five 0-100 component scores, each from a report:
-- sales momentum 25% (50 + half the revenue change of the last 7 days vs the 7 before, clamped),
-- inventory 20% (share of latest-snapshot SKUs not low/out of stock),
-- fulfillment 20% (30-day SLA compliance %), customer experience 20% (100 - 7-day first-response
-- SLA breach rate %), data quality 15% (share of the 16 checks passing). A missing component is
-- left out and the remaining weights are re-normalised. Grade: >= 80 healthy, >= 60 watch, else at_risk.

with

trends as (
    select * from {{ ref('rpt_revenue_trends_30d') }}
),

latest_inventory as (
    select * from {{ ref('inventory_latest') }}
),

fulfillment as (
    select * from {{ ref('rpt_fulfillment_health') }}
),

cx as (
    select * from {{ ref('rpt_cx_health') }}
),

quality as (
    select * from {{ ref('rpt_data_quality_dashboard') }}
),

shops as (
    select * from {{ ref('shops') }}
),

sales_momentum as (
    select
        shop_domain,
        sum(total_revenue) filter (where rn <= 7) as revenue_last_7d,
        sum(total_revenue) filter (where rn between 8 and 14) as revenue_prior_7d
    from (
        select
            shop_domain,
            total_revenue,
            row_number() over (partition by shop_domain order by date desc) as rn
        from trends
    ) as ranked
    group by shop_domain
),

inventory_health as (
    select
        shop_domain,
        100.0 * count(*) filter (where stock_status in ('in_stock', 'overstock'))
        / nullif(count(*), 0) as in_stock_pct
    from latest_inventory
    group by shop_domain
),

components as (
    select
        shops.shop_domain,
        least(greatest(
            50 + 50 * (sales_momentum.revenue_last_7d - sales_momentum.revenue_prior_7d)
            / nullif(sales_momentum.revenue_prior_7d, 0), 0
        ), 100) as sales_score,
        inventory_health.in_stock_pct as inventory_score,
        fulfillment.sla_compliance_pct as fulfillment_score,
        100 - cx.sla_breach_rate_pct as cx_score,
        quality.checks_pass_rate_pct as data_quality_score
    from shops
    {{ join_each('shops', ['sales_momentum', 'inventory_health', 'fulfillment', 'cx', 'quality']) }}
),

scored as (
    select
        *,
        (
            coalesce(0.25 * sales_score, 0) + coalesce(0.20 * inventory_score, 0)
            + coalesce(0.20 * fulfillment_score, 0) + coalesce(0.20 * cx_score, 0)
            + coalesce(0.15 * data_quality_score, 0)
        ) / nullif(
            (case when sales_score is null then 0 else 0.25 end)
            + (case when inventory_score is null then 0 else 0.20 end)
            + (case when fulfillment_score is null then 0 else 0.20 end)
            + (case when cx_score is null then 0 else 0.20 end)
            + (case when data_quality_score is null then 0 else 0.15 end),
            0
        ) as health_score
    from components
),

final as (
    select
        shop_domain,
        round(sales_score, 1) as sales_score,
        round(inventory_score, 1) as inventory_score,
        round(fulfillment_score, 1) as fulfillment_score,
        round(cx_score, 1) as cx_score,
        round(data_quality_score, 1) as data_quality_score,
        round(health_score, 1) as health_score,
        case
            when health_score >= 80 then 'healthy'
            when health_score >= 60 then 'watch'
            else 'at_risk'
        end as health_grade,
        {{ hotrod_as_of() }} as scored_at
    from scored
)

select * from final
