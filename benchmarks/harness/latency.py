"""Query latency of the 48 contract views as `operator` with a shop claim, and the baseline.

Each query runs ``warmup`` times, then ``runs`` times; the client-side wall time of execute plus
fetch-all is what a dashboard waits for. The baseline is the original design's approach — plain
views computed on the fly over staging — written here as queries over the staging tables and run
by the owner (operator may not read staging), filtered to the same shop.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from warehouse.connection import connect
from warehouse.settings import DatabaseUrl, marts_schema

# SPEC.md §4, grouped the way the goals are stated.
TILE_VIEWS = (
    "v_sales_pulse_current",
    "v_inventory_alerts",
    "v_fulfillment_issues",
    "v_fulfillment_health_summary",
    "v_cx_escalations",
    "v_cx_health_summary",
    "v_activation_rate_7d",
    "v_sla_resolution_7d",
    "v_sla_performance_7d",
    "v_ops_aggregate_metrics",
)
HEADLINE_TILES = (
    "v_sales_pulse_current",
    "v_inventory_alerts",
    "v_fulfillment_health_summary",
    "v_cx_health_summary",
    "v_ops_aggregate_metrics",
)
TREND_VIEWS = (
    "v_revenue_trends_30d",
    "v_category_trends_30d",
    "v_inventory_velocity_trends",
    "v_customer_segment_trends",
)
GROWTH_VIEWS = ("v_growth_milestones", "v_growth_rates", "v_kpi_summary")
OTHER_VIEWS = (
    "v_product_performance",
    "v_customer_segment_summary",
    "v_vehicle_compatibility_analysis",
    "v_seasonal_patterns",
    "v_data_quality_checks",
    "v_data_quality_comprehensive",
    "v_data_freshness",
    "v_data_freshness_monitoring",
    "v_data_completeness_metrics",
    "v_data_quality_alerts",
    "v_data_quality_dashboard",
    "v_data_anomalies",
    "v_ceo_time_savings_30d",
    "v_ceo_time_savings_ytd",
    "v_operator_performance_7d",
    "v_operator_rankings",
    "v_operator_workload",
    "v_operator_efficiency_trends",
    "v_operator_sla_compliance",
    "v_operator_activity_summary",
    "v_recent_decisions",
    "v_decisions_by_actor",
    "v_decisions_by_scope",
    "v_audit_export",
    "v_audit_stats_7d",
    "v_export_daily_performance",
    "v_export_customer_segments",
    "v_export_product_performance",
    "v_customer_lifetime_value",
    "v_churn_prediction",
    "v_customer_cohorts",
)
# Views added to the contract beyond SPEC section 4 (tests/support/contract_views.py).
EXTENSION_VIEWS = (
    "v_carrier_performance",
    "v_cx_commerce_daily",
    "v_recommendation_approval_model",
    "v_csat_summary",
    "v_seo_pulse",
    "v_api_latency_daily",
)
# List views return every row with its urgency_rank; the tile reads its shop's first 50 (the cap
# lives in the tile's query, as the tiles' exposures state it: `select * from marts.<view> where
# shop_domain = $1 order by urgency_rank limit 50`), so that is the query timed for them.
TILE_PAGE = " where shop_domain = %(shop)s order by urgency_rank limit 50"
TILE_QUERY_SUFFIX = {
    "v_inventory_alerts": TILE_PAGE,
    "v_fulfillment_issues": TILE_PAGE,
    "v_cx_escalations": TILE_PAGE,
}
GROUPS = {
    "tile": TILE_VIEWS,
    "trend": TREND_VIEWS,
    "growth": GROWTH_VIEWS,
    "other": OTHER_VIEWS + EXTENSION_VIEWS,
}
ALL_VIEWS = TILE_VIEWS + TREND_VIEWS + GROWTH_VIEWS + OTHER_VIEWS + EXTENSION_VIEWS
assert len(set(ALL_VIEWS)) == 48 + len(EXTENSION_VIEWS)

# The original design: tiles computed on the fly from staging. %(shop)s is the claimed shop.
BASELINES: dict[str, tuple[str, str]] = {
    "baseline_sales_pulse": (
        "v_sales_pulse_current",
        """
        with shop as (
            select shop_domain, (now() at time zone max(iana_timezone))::date as today
            from staging.stg_shopify__shops where shop_domain = %(shop)s group by shop_domain
        ),
        counted as (
            select o.shop_domain, o.order_id, o.total_price,
                   (o.created_at at time zone s.iana_timezone)::date as local_day
            from staging.stg_shopify__orders as o
            join staging.stg_shopify__shops as s on s.shop_domain = o.shop_domain
            where o.shop_domain = %(shop)s and not o.is_test and o.cancelled_at is null
        ),
        days as (
            select
                sum(total_price) filter (where local_day = shop.today) as revenue_today,
                count(*) filter (where local_day = shop.today) as orders_today,
                sum(total_price) filter (where local_day = shop.today - 7) as revenue_last_week,
                count(*) filter (where local_day = shop.today - 7) as orders_last_week
            from counted cross join shop
        ),
        skus as (
            select l.sku, sum(l.discounted_total) as revenue_30d, sum(l.quantity) as units_30d
            from staging.stg_shopify__order_lines as l
            join counted as c on c.shop_domain = l.shop_domain and c.order_id = l.order_id
            cross join shop
            where l.shop_domain = %(shop)s and c.local_day > shop.today - 30
                and l.sku is not null
            group by l.sku order by revenue_30d desc limit 5
        )
        select days.*, (select jsonb_agg(skus) from skus) as top_products from days
        """,
    ),
    "baseline_fulfillment_health": (
        "v_fulfillment_health_summary",
        """
        select
            count(*) as orders_30d,
            count(*) filter (where fulfillment_status = 'FULFILLED') as fulfilled,
            count(*) filter (where fulfillment_status <> 'FULFILLED'
                and created_at < now() - interval '2 days') as past_sla,
            round(100.0 * count(*) filter (where fulfillment_status = 'FULFILLED')
                / nullif(count(*), 0), 1) as fulfillment_rate_pct
        from staging.stg_shopify__orders
        where shop_domain = %(shop)s and not is_test and cancelled_at is null
            and created_at >= now() - interval '30 days'
        """,
    ),
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]


def time_query(
    conn: psycopg2.extensions.connection,
    query: str,
    params: dict[str, Any] | None,
    runs: int,
    warmup: int,
    max_seconds: float,
) -> dict[str, Any]:
    """p50/p95/max in ms over ``runs`` timed executions (fewer if ``max_seconds`` runs out)."""
    with conn.cursor() as cur:
        rows = 0
        for _ in range(warmup):
            cur.execute(query, params)
            rows = len(cur.fetchall())
        timings: list[float] = []
        budget_end = time.perf_counter() + max_seconds
        for _ in range(runs):
            started = time.perf_counter()
            cur.execute(query, params)
            cur.fetchall()
            timings.append((time.perf_counter() - started) * 1000)
            if time.perf_counter() > budget_end:
                break
    return {
        "rows": rows,
        "runs": len(timings),
        "p50_ms": round(percentile(timings, 50), 3),
        "p95_ms": round(percentile(timings, 95), 3),
        "max_ms": round(max(timings), 3),
    }


@contextlib.contextmanager
def operator_login(url: DatabaseUrl) -> Iterator[tuple[psycopg2.extensions.connection, str]]:
    """A throw-away gateway login in `operator` and `authenticator` (so the shop claim counts, as
    behind PostgREST; random password), connected; dropped afterwards."""
    name = f"hotrod_bench_{uuid.uuid4().hex[:10]}"
    password = secrets.token_urlsafe(24)
    admin = connect(url, autocommit=True)
    try:
        with admin.cursor() as cur:
            cur.execute(
                sql.SQL("create role {} login password {} in role operator, authenticator").format(
                    sql.Identifier(name), sql.Literal(password)
                )
            )
        kwargs = {**url.connect_kwargs(), "user": name, "password": password}
        conn = psycopg2.connect(connect_timeout=10, **kwargs)
        conn.autocommit = True
        try:
            yield conn, name
        finally:
            conn.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("drop owned by {}").format(sql.Identifier(name)))
            cur.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(name)))
        admin.close()


def existing_views(url: DatabaseUrl, schema: str | None = None) -> set[str]:
    schema = schema or marts_schema()
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where n.nspname = %s and c.relkind in ('r', 'v', 'm', 'p')",
                (schema,),
            )
            return {row[0] for row in cur.fetchall()}
    finally:
        conn.close()


def measure_views(
    url: DatabaseUrl,
    shop: str,
    runs: int,
    warmup: int,
    max_seconds: float,
    out: Callable[[str], None],
    schema: str | None = None,
) -> tuple[dict[str, Any], str]:
    """Every one of the 48 views as operator with ``shop`` claimed; (figures, login role)."""
    schema = schema or marts_schema()
    present = existing_views(url, schema)
    views: dict[str, Any] = {}
    with operator_login(url) as (conn, role):
        with conn.cursor() as cur:
            cur.execute("select set_config('request.jwt.claims', %s, false)", (
                json.dumps({"shop_domain": shop}),
            ))  # fmt: skip
        for group, names in GROUPS.items():
            for name in names:
                if name not in present:
                    views[name] = {"group": group, "error": "missing"}
                    out(f"  {name:38} missing")
                    continue
                query = sql.SQL("select * from {}.{}" + TILE_QUERY_SUFFIX.get(name, "")).format(
                    sql.Identifier(schema), sql.Identifier(name)
                )
                params = {"shop": shop} if name in TILE_QUERY_SUFFIX else None
                try:
                    figures = time_query(
                        conn, query.as_string(conn), params, runs, warmup, max_seconds
                    )
                except psycopg2.Error as exc:
                    views[name] = {"group": group, "error": str(exc).strip().splitlines()[0]}
                    out(f"  {name:38} ERROR {views[name]['error']}")
                    continue
                views[name] = {"group": group, **figures}
                out(
                    f"  {name:38} p50 {figures['p50_ms']:9.2f} ms  p95 {figures['p95_ms']:9.2f}"
                    f" ms  ({figures['rows']} rows, {figures['runs']} runs)"
                )
    return views, role


def measure_baselines(
    url: DatabaseUrl, shop: str, runs: int, warmup: int, max_seconds: float
) -> dict[str, Any]:
    conn = connect(url, autocommit=True)
    figures: dict[str, Any] = {}
    try:
        for name, (compared_with, query) in BASELINES.items():
            try:
                result = time_query(conn, query, {"shop": shop}, runs, warmup, max_seconds)
            except psycopg2.Error as exc:
                result = {"error": str(exc).strip().splitlines()[0]}
            figures[name] = {"compared_with": compared_with, **result}
    finally:
        conn.close()
    return figures


def summarize(views: dict[str, Any]) -> dict[str, Any]:
    """Per group: worst p95, the views over each goal, how many answered."""
    summary: dict[str, Any] = {}
    goals = {"tile": 5.0, "trend": 100.0, "growth": 100.0, "other": 100.0}
    for group, names in GROUPS.items():
        ok = [views[n] for n in names if n in views and "p95_ms" in views[n]]
        summary[group] = {
            "views": len(names),
            "answered": len(ok),
            "worst_p95_ms": max((v["p95_ms"] for v in ok), default=None),
            "median_p50_ms": round(statistics.median(v["p50_ms"] for v in ok), 3) if ok else None,
            "p95_goal_ms": goals[group],
            "over_goal": sorted(
                n for n in names if n in views and views[n].get("p95_ms", 0) > goals[group]
            ),
        }
    headline = [views[n]["p95_ms"] for n in HEADLINE_TILES if "p95_ms" in views.get(n, {})]
    summary["five_tiles_p95_sum_ms"] = round(sum(headline), 3) if headline else None
    every = [v["p95_ms"] for v in views.values() if "p95_ms" in v]
    summary["all_views_worst_p95_ms"] = max(every, default=None)
    summary["views_over_100ms"] = sorted(n for n, v in views.items() if v.get("p95_ms", 0) > 100)
    return summary
