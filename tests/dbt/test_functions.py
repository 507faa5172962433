"""The four SQL functions of SPEC.md section 5, created by dbt's on-run-end hook.

A small hand-made warehouse: two shops, decision-log rows on both sides of the 180-day retention
line, one zero-value order (a data quality failure by construction). dbt seeds and runs the
project once; the functions are then called in SQL like a dashboard or a job would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg2
import pytest

from warehouse.connection import connect
from warehouse.dbt_invocation import run_dbt
from warehouse.settings import DatabaseUrl

NOW = datetime.now(UTC).replace(microsecond=0)
SHOP_A = "alpha-rods.myshopify.com"
SHOP_B = "beta-customs.myshopify.com"
# (shop, decision id, age in days); older than 180 days must be archived, the rest kept.
DECISIONS = (
    (SHOP_A, "d-a-1", 5),
    (SHOP_A, "d-a-2", 40),
    (SHOP_A, "d-a-3", 179),
    (SHOP_A, "d-a-4", 181),
    (SHOP_A, "d-a-5", 400),
    (SHOP_B, "d-b-1", 2),
    (SHOP_B, "d-b-2", 200),
)
RETENTION_DAYS = 180


def _created(age_days: int) -> datetime:
    return NOW - timedelta(days=age_days)


def _insert_raw(cur, table: str, shop: str, record_id: str, updated: datetime, payload: dict):
    cur.execute(
        f"insert into {table} (shop_domain, id, updated_at, payload, batch_id)"  # noqa: S608
        " values (%s, %s, %s, %s, 'test')",
        (shop, record_id, updated, json.dumps(payload)),
    )


def _seed_raw(url: DatabaseUrl) -> None:
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            for shop, tz in ((SHOP_A, "America/Chicago"), (SHOP_B, "UTC")):
                shop_gid = f"gid://shopify/Shop/{len(tz)}"
                _insert_raw(
                    cur,
                    "raw_shopify.shops",
                    shop,
                    shop_gid,
                    NOW,
                    {
                        "id": shop_gid,
                        "name": shop,
                        "myshopifyDomain": shop,
                        "ianaTimezone": tz,
                        "currencyCode": "USD",
                        "createdAt": "2024-01-01T00:00:00Z",
                        "updatedAt": NOW.isoformat(),
                    },
                )
            for shop, decision_id, age in DECISIONS:
                created = _created(age)
                _insert_raw(
                    cur,
                    "raw_app.decision_log",
                    shop,
                    decision_id,
                    created,
                    {
                        "id": decision_id,
                        "shop_domain": shop,
                        "actor": "ceo@example.com",
                        "scope": "inventory",
                        "recommendation": f"reorder ({decision_id})",
                        "decision": "approved" if age % 2 else "rejected",
                        "created_at": created.isoformat(),
                    },
                )
            # A counted order worth 0.00: the missing_revenue check must flag SHOP_A's day.
            order_gid = "gid://shopify/Order/9001"
            _insert_raw(
                cur,
                "raw_shopify.orders",
                SHOP_A,
                order_gid,
                NOW - timedelta(days=3),
                {
                    "id": order_gid,
                    "name": "#9001",
                    "createdAt": (NOW - timedelta(days=3)).isoformat(),
                    "updatedAt": (NOW - timedelta(days=3)).isoformat(),
                    "processedAt": (NOW - timedelta(days=3)).isoformat(),
                    "cancelledAt": None,
                    "closedAt": None,
                    "test": False,
                    "displayFinancialStatus": "PAID",
                    "displayFulfillmentStatus": "UNFULFILLED",
                    "currencyCode": "USD",
                    "tags": [],
                    "discountCodes": [],
                    "sourceName": "web",
                    "totalPriceSet": {"shopMoney": {"amount": "0.00", "currencyCode": "USD"}},
                    "subtotalPriceSet": {"shopMoney": {"amount": "0.00", "currencyCode": "USD"}},
                    "totalDiscountsSet": {"shopMoney": {"amount": "0.00", "currencyCode": "USD"}},
                    "totalRefundedSet": {"shopMoney": {"amount": "0.00", "currencyCode": "USD"}},
                    "customer": None,
                    "shippingAddress": None,
                    "refunds": [],
                    "fulfillments": [],
                    "lineItems": [],
                },
            )
    finally:
        conn.close()


def _dbt(url: DatabaseUrl, target: Path, args: list[str]) -> None:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DBT_TARGET_PATH", str(target))
        env.setenv("DBT_LOG_PATH", str(target / "logs"))
        result = run_dbt(url, args, check=False)
    assert result.returncode == 0, f"dbt {args[0]} failed; see {target}/logs/dbt.log"


@pytest.fixture(scope="module")
def dbt_target(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dbt-target")


@pytest.fixture(scope="module")
def warehouse(module_db: DatabaseUrl, dbt_target: Path) -> DatabaseUrl:
    _seed_raw(module_db)
    _dbt(module_db, dbt_target, ["seed"])
    _dbt(module_db, dbt_target, ["run"])
    return module_db


@pytest.fixture
def cur(warehouse: DatabaseUrl) -> Iterator:
    conn = connect(warehouse, autocommit=True)
    try:
        with conn.cursor() as cursor:
            yield cursor
    finally:
        conn.close()


def _ids(rows: list[tuple]) -> list[str]:
    return [row[0] for row in rows]


def test_functions_exist_in_marts_as_security_definer_with_fixed_search_path(cur):
    cur.execute(
        "select p.proname, p.prosecdef, p.proconfig from pg_proc p"
        " join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'marts'"
    )
    functions = {name: (definer, config) for name, definer, config in cur.fetchall()}
    for name in (
        "get_shop_audit_trail",
        "archive_old_audit_logs",
        "export_audit_logs",
        "run_data_quality_checks",
    ):
        definer, config = functions[name]
        assert definer, name
        assert any(setting.startswith("search_path=") for setting in config), name


def test_get_shop_audit_trail_returns_one_shop_newest_first(cur):
    cur.execute("select * from marts.get_shop_audit_trail(%s)", (SHOP_A,))
    rows = cur.fetchall()
    expected = [d for s, d, _ in sorted(DECISIONS, key=lambda x: x[2]) if s == SHOP_A]
    assert _ids(rows) == expected
    assert {row[1] for row in rows} == {SHOP_A}
    cur.execute("select count(*) from marts.get_shop_audit_trail('nobody.myshopify.com')")
    assert cur.fetchone()[0] == 0


def test_export_audit_logs_returns_the_inclusive_date_range(cur):
    start = _created(45).date()
    end = _created(3).date()
    cur.execute("select * from marts.export_audit_logs(%s, %s)", (start, end))
    got = sorted(_ids(cur.fetchall()))
    expected = sorted(d for _, d, age in DECISIONS if start <= _created(age).date() <= end)
    assert got == expected == ["d-a-1", "d-a-2"]
    cur.execute("select count(*) from marts.export_audit_logs(%s, %s)", (end, start))
    assert cur.fetchone()[0] == 0


def test_operator_sees_only_its_claimed_shop_and_cannot_archive(warehouse):
    conn = connect(warehouse)
    try:
        with conn.cursor() as cursor:
            cursor.execute("set local role operator")
            cursor.execute(
                "select set_config('request.jwt.claims', %s, true)",
                (json.dumps({"shop_domain": SHOP_B}),),
            )
            cursor.execute("select count(*) from marts.get_shop_audit_trail(%s)", (SHOP_A,))
            assert cursor.fetchone()[0] == 0
            cursor.execute("select count(*) from marts.get_shop_audit_trail(%s)", (SHOP_B,))
            assert cursor.fetchone()[0] == 2
            cursor.execute(
                "select distinct shop_domain from marts.export_audit_logs(%s, %s)",
                (date(2000, 1, 1), date(2100, 1, 1)),
            )
            assert cursor.fetchall() == [(SHOP_B,)]
            cursor.execute("select shop_domain from marts.run_data_quality_checks()")
            assert cursor.fetchall() == [(SHOP_B,)]
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute("select marts.archive_old_audit_logs()")
    finally:
        conn.rollback()
        conn.close()


def test_run_data_quality_checks_reports_status_counts_and_summary(cur):
    cur.execute("select * from marts.run_data_quality_checks()")
    names = [d[0] for d in cur.description]
    rows = {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}
    assert names == [
        "shop_domain",
        "status",
        "checks_run",
        "checks_passed",
        "checks_failed",
        "failing_rows",
        "summary",
    ]
    assert set(rows) == {SHOP_A, SHOP_B}
    assert rows[SHOP_B]["status"] == "pass"
    cur.execute("select count(distinct check_name) from marts.v_data_quality_comprehensive")
    catalogue = cur.fetchone()[0]
    assert catalogue >= 10  # every check of the catalogue runs for every shop
    assert (rows[SHOP_B]["checks_run"], rows[SHOP_B]["checks_passed"]) == (catalogue, catalogue)
    assert rows[SHOP_B]["summary"] == f"all {catalogue} checks passed"
    failing = rows[SHOP_A]
    assert failing["status"] == "fail"
    assert failing["checks_failed"] >= 1 and failing["failing_rows"] >= 1
    assert "missing_revenue (1)" in failing["summary"]


def test_archive_moves_only_rows_older_than_180_days_and_survives_a_rebuild(
    warehouse, cur, dbt_target
):
    old = sorted(d for _, d, age in DECISIONS if age > RETENTION_DAYS)
    kept = sorted(d for _, d, age in DECISIONS if age <= RETENTION_DAYS)
    cur.execute("select marts.archive_old_audit_logs()")
    assert cur.fetchone()[0] == len(old) == 3
    cur.execute("select id from raw_app.decision_log order by id")
    assert _ids(cur.fetchall()) == kept
    cur.execute("select id from raw_app.decision_log_archive order by id")
    assert _ids(cur.fetchall()) == old
    cur.execute("select marts.archive_old_audit_logs()")
    assert cur.fetchone()[0] == 0
    # The full trail still includes archived rows, flagged.
    cur.execute(
        "select decision_id, is_archived from marts.get_shop_audit_trail(%s) order by 1", (SHOP_A,)
    )
    assert cur.fetchall() == [
        ("d-a-1", False),
        ("d-a-2", False),
        ("d-a-3", False),
        ("d-a-4", True),
        ("d-a-5", True),
    ]
    # Retention acts on the source: rebuilding the audit mart does not bring old rows back.
    _dbt(warehouse, dbt_target, ["run", "--select", "audit_decision_log+"])
    cur.execute("select decision_id from marts.v_audit_export order by 1")
    assert _ids(cur.fetchall()) == kept
