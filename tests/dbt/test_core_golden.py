"""The core tables against the sandbox's golden truth, from an empty warehouse and after a day.

The sandbox (20,000 orders) is loaded straight into the raw tables, the core layer is built with
`dbt build` (every test and unit test on the way), and the marts are compared with the figures the
generator computes independently in Python: orders, gross revenue and refunds per shop and local
day; SKU 30-day units and revenue; fulfillment SLA breaches; CX first-response breaches. Counts
must be exact and money equal to the cent. Then the sandbox advances a day, raw is reloaded, and
an incremental `dbt build` must match the new truth too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from sandbox.store import SandboxStore
from tests.support.core_models import CORE_SELECTION, core_model_nodes
from tests.support.dbt_runs import failure_summary, run_dbt_isolated
from tests.support.raw_loader import load_store
from warehouse.connection import connect
from warehouse.settings import DatabaseUrl

ORDERS = 20_000
SEED = 11
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def store() -> Iterator[SandboxStore]:
    opened = SandboxStore.open(ORDERS, SEED, now=NOW)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="module")
def dbt_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dbt_core_golden")


def build_core(url: DatabaseUrl, store: SandboxStore, dbt_dir: Path) -> None:
    load_store(url, store, batch_id=f"sandbox-{iso(store.now)}")
    result = run_dbt_isolated(
        url, ["build", "--select", *CORE_SELECTION], dbt_dir, as_of=iso(store.now)
    )
    assert result.returncode == 0, failure_summary(result)


@pytest.fixture(scope="module")
def first_build(module_db: DatabaseUrl, store: SandboxStore, dbt_dir: Path) -> dict:
    truth = store.truth()
    build_core(module_db, store, dbt_dir)
    return truth


def mismatches(url: DatabaseUrl, truth: dict) -> list[str]:
    """Every difference between the marts and the golden truth, as readable lines."""
    problems: list[str] = []
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            for shop, expected in truth["shops"].items():
                cur.execute(
                    "select date::text, total_orders, total_revenue, refunded_amount"
                    " from marts.sales_metrics_daily where shop_domain = %s",
                    (shop,),
                )
                days = {row[0]: row[1:] for row in cur.fetchall()}
                for day, want in expected["daily"].items():
                    got = days.get(day)
                    wanted = (
                        want["orders"],
                        Decimal(want["gross_revenue"]),
                        Decimal(want["refunds"]),
                    )
                    if got != wanted:
                        problems.append(f"{shop} {day}: sales {got} != truth {wanted}")
                for day, got in days.items():
                    if day not in expected["daily"] and (got[0] or got[1] or got[2]):
                        problems.append(f"{shop} {day}: sales {got} on a day the truth has none")

                cur.execute(
                    "select sku, units_sold_30d, revenue_30d from marts.sku_performance"
                    " where shop_domain = %s and (units_sold_30d > 0 or revenue_30d > 0)",
                    (shop,),
                )
                skus = {row[0]: row[1:] for row in cur.fetchall()}
                wanted_skus = {
                    sku: (want["units"], Decimal(want["revenue"]))
                    for sku, want in expected["sku_30d"].items()
                }
                for sku in sorted(set(skus) | set(wanted_skus)):
                    if skus.get(sku) != wanted_skus.get(sku):
                        problems.append(
                            f"{shop} sku {sku}: {skus.get(sku)} != truth {wanted_skus.get(sku)}"
                        )

                cur.execute(
                    "select count(*) filter (where is_sla_breach) from marts.fulfillment_tracking"
                    " where shop_domain = %s",
                    (shop,),
                )
                got = cur.fetchone()[0]
                if got != expected["fulfillment_sla_breaches"]:
                    problems.append(
                        f"{shop}: fulfillment SLA breaches {got}"
                        f" != truth {expected['fulfillment_sla_breaches']}"
                    )
                cur.execute(
                    "select count(*) filter (where is_sla_breach) from marts.cx_conversations"
                    " where shop_domain = %s",
                    (shop,),
                )
                got = cur.fetchone()[0]
                if got != expected["cx_first_response_breaches"]:
                    problems.append(
                        f"{shop}: CX first-response breaches {got}"
                        f" != truth {expected['cx_first_response_breaches']}"
                    )
    finally:
        conn.close()
    return problems


def test_sandbox_is_big_enough(first_build: dict) -> None:
    orders = sum(shop["counts"]["shopify.orders"] for shop in first_build["shops"].values())
    assert orders >= 20_000
    assert len(first_build["shops"]) == 3


def test_core_tables_match_golden_truth(module_db: DatabaseUrl, first_build: dict) -> None:
    problems = mismatches(module_db, first_build)
    assert not problems, f"{len(problems)} mismatches:\n" + "\n".join(problems[:40])


def test_every_built_column_is_documented(
    module_db: DatabaseUrl, dbt_dir: Path, first_build: dict
) -> None:
    manifest = json.loads((dbt_dir / "target" / "manifest.json").read_text())
    undocumented = []
    conn = connect(module_db, autocommit=True)
    try:
        with conn.cursor() as cur:
            for node in core_model_nodes(manifest).values():
                cur.execute(
                    "select column_name from information_schema.columns"
                    " where table_schema = %s and table_name = %s",
                    (node["schema"], node["alias"]),
                )
                built = {row[0] for row in cur.fetchall()}
                assert built, f"{node['name']} was not built"
                documented = {
                    name for name, col in node["columns"].items() if col["description"].strip()
                }
                undocumented += [f"{node['name']}.{name}" for name in sorted(built - documented)]
    finally:
        conn.close()
    assert not undocumented, undocumented


def test_incremental_build_after_a_day_matches_new_truth(
    module_db: DatabaseUrl, store: SandboxStore, dbt_dir: Path, first_build: dict
) -> None:
    first_as_of = store.now
    store.advance(1)
    truth = store.truth()
    build_core(module_db, store, dbt_dir)

    problems = mismatches(module_db, truth)
    assert not problems, f"{len(problems)} mismatches:\n" + "\n".join(problems[:40])

    conn = connect(module_db, autocommit=True)
    try:
        with conn.cursor() as cur:
            # inventory_snapshots keeps history: one row per SKU for each of the two days.
            cur.execute(
                "select shop_domain, count(distinct snapshot_date),"
                " count(*) = count(distinct (sku, snapshot_date))"
                " from marts.inventory_snapshots group by shop_domain"
            )
            for shop, days, unique_per_day in cur.fetchall():
                assert days == 2, f"{shop}: {days} snapshot days after two builds"
                assert unique_per_day, f"{shop}: duplicate SKU rows on a snapshot day"
            # sales days built the first time keep their creation time (rows are not re-created
            # when their figures did not change).
            cur.execute(
                "select count(distinct created_at) from marts.sales_metrics_daily"
                " where date < %s::date - 30",
                (first_as_of.date().isoformat(),),
            )
            assert cur.fetchone()[0] == 1
    finally:
        conn.close()
