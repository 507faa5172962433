"""GA4 in the marts (issue 19), on a warehouse where the sandbox's orders are loaded and GA4 is
extracted from the stand-in through the real client: the Sales Pulse shows the conversion rate of
today's complete hours and last week's same hours, v_seo_pulse answers for every shop with the
stand-in's organic traffic and real content gaps, the GA4-vs-Shopify check passes within its
documented tolerance, and v_api_latency_daily shows the GA4 calls. Expected figures come from the
stand-in's traffic model, never from the marts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from extractors import run, settings
from tests.extractors.conftest import FAST_RETRIES, NOW, SMALL_ORDERS
from tests.extractors.sandbox_helpers import SEED
from tests.support.raw_loader import load_store
from warehouse.connection import connect
from warehouse.dbt_invocation import run_dbt
from warehouse.settings import DatabaseUrl

SELECTION = [
    "+v_sales_pulse_current",
    "+v_seo_pulse",
    "+v_data_quality_comprehensive",
    "+v_api_latency_daily",
]


@pytest.fixture(scope="module")
def served() -> Iterator:
    store_mod = pytest.importorskip("sandbox.store")
    from sandbox.server import start_server

    store = store_mod.SandboxStore.open(orders=SMALL_ORDERS, seed=SEED, now=NOW)
    server = start_server(store, port=0)
    yield store, server
    server.stop()
    store.close()


@pytest.fixture(scope="module")
def built(module_db: DatabaseUrl, served, tmp_path_factory) -> DatabaseUrl:
    from sandbox.launch import extractor_env
    from sandbox.server.app import Credentials

    store, server = served
    load_store(module_db, store)
    env = extractor_env(server.url, store.shops(), Credentials())
    cfg = settings.from_env({k: v for k, v in env.items() if k.startswith("GA4_")})
    rows = run.extract_source(
        module_db, cfg, "ga4", run.RunOptions(progress=False, policy=FAST_RETRIES)
    )
    assert {r.status for r in rows} == {"ok"}
    target: Path = tmp_path_factory.mktemp("dbt-ga4")
    as_of = json.dumps({"as_of": NOW.strftime("%Y-%m-%dT%H:%M:%SZ")})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(target))
        patch.setenv("DBT_LOG_PATH", str(target / "logs"))
        # the same --vars on both: a change of vars makes dbt parse the project again in full
        for args in (["seed", "--vars", as_of], ["run", "--vars", as_of, "-s", *SELECTION]):
            result = run_dbt(module_db, args, check=False)
            assert result.returncode == 0, f"dbt {args[0]} failed; see {target}/logs/dbt.log"
    return module_db


def _dicts(url: DatabaseUrl, sql: str) -> list[dict]:
    with connect(url, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _traffic(served, shop: dict):
    _, server = served
    return server.sandbox.ga4.traffic(shop)


def test_sales_pulse_shows_conversion_so_far_against_the_same_hours_last_week(built, served):
    from sandbox.server.ga4_traffic import rows

    store, _ = served
    pulse = {
        r["shop_domain"]: r for r in _dicts(built, "select * from marts.v_sales_pulse_current")
    }
    for shop in store.shops():
        traffic = _traffic(served, shop)
        hours = NOW.astimezone(ZoneInfo(shop["timezone"])).hour
        expected = []
        for day in (traffic.today, traffic.today - timedelta(days=7)):
            cells = [v for c, v in rows(traffic, day, day) if int(c[1]) < hours]
            sessions = sum(int(v["sessions"]) for v in cells)
            bought = sum(int(v["transactions"]) for v in cells)
            expected.append(round(100 * bought / sessions, 2) if sessions else None)
        row = pulse[shop["domain"]]
        got = [row["conversion_rate_pct"], row["last_week_same_time_conversion_rate_pct"]]
        assert [None if g is None else float(g) for g in got] == expected, shop["domain"]
        assert expected[1] is not None  # the comparison has a base in the sandbox


def test_seo_pulse_answers_for_every_shop_with_the_stand_ins_organic_traffic(built, served):
    from sandbox.server.ga4_traffic import rows

    store, _ = served
    seo = {r["shop_domain"]: r for r in _dicts(built, "select * from marts.v_seo_pulse")}
    assert set(seo) == {s["domain"] for s in store.shops()}
    for shop in store.shops():
        traffic = _traffic(served, shop)
        end = traffic.today - timedelta(days=1)
        organic = sum(
            int(v["sessions"])
            for c, v in rows(traffic, end - timedelta(days=27), end)
            if c[2] == "Organic Search"
        )
        row = seo[shop["domain"]]
        assert row["organic_sessions_28d"] == organic
        organic_30d = {
            c[4]
            for c, v in rows(traffic, traffic.today - timedelta(days=29), traffic.today)
            if c[2] == "Organic Search" and int(v["sessions"]) > 0
        }
        gaps = row["content_gaps"]
        assert row["content_gap_count"] > 0 and gaps
        assert all(f"/products/{g['handle']}" not in organic_30d for g in gaps)
        assert all(g["quantity_available"] > 0 for g in gaps)
        top = row["top_landing_pages"]
        assert top and top[0]["sessions"] >= top[-1]["sessions"]


def test_ga4_against_shopify_passes_within_the_documented_tolerance(built):
    checks = _dicts(
        built,
        "select shop_domain, status::text as status from marts.v_data_quality_comprehensive"
        " where check_name = 'ga4_vs_shopify_mismatch'",
    )
    assert len(checks) == 3 and {c["status"] for c in checks} == {"pass"}
    sums = _dicts(
        built,
        "select shop_domain, sum(ga_transactions) as ga, sum(total_orders) as orders,"
        " sum(ga_purchase_revenue) as ga_revenue, sum(total_revenue) as revenue"
        " from marts.sales_metrics_daily where ga_transactions is not null group by 1",
    )
    assert len(sums) == 3
    for row in sums:  # over the whole GA4 window the ratios sit well inside 0.70-1.10
        assert 0.70 <= row["ga"] / row["orders"] <= 1.10, row
        assert 0.70 <= float(row["ga_revenue"] / row["revenue"]) <= 1.10, row


def test_api_latency_shows_the_ga4_calls(built):
    # the mart under v_api_latency_daily: the view keeps the 30 days before the pinned as-of
    # day, and these runs happened today
    rows = _dicts(
        built,
        "select endpoint_kind, sum(api_calls) as calls, max(latency_p95_ms) as p95"
        " from marts.api_calls_daily where source_system = 'ga4' group by 1",
    )
    assert {r["endpoint_kind"] for r in rows} == {"traffic_daily", "traffic_hourly"}
    assert all(r["calls"] >= 3 and r["p95"] > 0 for r in rows)
