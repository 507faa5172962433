"""Incremental core tables stay correct when data arrives late.

sales_metrics_daily is incremental by key (it writes the days whose figures changed). A refund
landed days after it happened, and an order cancelled days after it was placed, must change the
days they belong to on the next incremental run — so the incremental table must equal the full
recomputation (int_sales_daily_aggregated) row for row, and the changed days must move by exactly
the late amounts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sandbox.store import SandboxStore
from tests.support.core_models import CORE_SELECTION
from tests.support.dbt_runs import failure_summary, run_dbt_isolated
from tests.support.raw_loader import load_store
from warehouse.connection import connect
from warehouse.settings import DatabaseUrl

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
AS_OF = "2026-06-01T12:00:00Z"
SHOP = "hot-rod-an.sandbox.test"


def build(url: DatabaseUrl, target: Path) -> None:
    result = run_dbt_isolated(
        url,
        ["build", "--select", *CORE_SELECTION],
        target,
        as_of=AS_OF,
    )
    assert result.returncode == 0, failure_summary(result)


def sales_days(cur, table: str) -> dict[str, tuple]:
    date_col = "date" if table.endswith("sales_metrics_daily") else "local_date"
    cur.execute(
        f"select {date_col}::text, total_orders, total_revenue, refunded_amount"  # noqa: S608
        f" from {table} where shop_domain = %s",
        (SHOP,),
    )
    return {row[0]: row[1:] for row in cur.fetchall()}


def pick_orders(cur) -> tuple[tuple, tuple]:
    """Two counted, refund-free orders of the shop, placed three and four days before the as-of."""
    picked = []
    for days_back in (3, 4):
        cur.execute(
            "select id, payload, updated_at from raw_shopify.orders"
            " where shop_domain = %s and (payload ->> 'test')::boolean is false"
            " and payload ->> 'cancelledAt' is null"
            " and jsonb_array_length(payload -> 'refunds') = 0"
            " and (payload ->> 'createdAt')::timestamptz"
            "     between %s::timestamptz - make_interval(days => %s + 1)"
            "     and %s::timestamptz - make_interval(days => %s)"
            " order by id limit 1",
            (SHOP, AS_OF, days_back, AS_OF, days_back),
        )
        row = cur.fetchone()
        assert row, f"no order {days_back} days back in the sandbox"
        picked.append(row)
    return picked[0], picked[1]


def local_day(cur, ts: str) -> str:
    cur.execute(
        "select (%s::timestamptz at time zone iana_timezone)::date::text"
        " from staging.stg_shopify__shops where shop_domain = %s",
        (ts, SHOP),
    )
    return cur.fetchone()[0]


def test_late_refund_and_cancellation_land_on_their_days(
    module_db: DatabaseUrl, store: SandboxStore, tmp_path: Path
) -> None:
    load_store(module_db, store)
    build(module_db, tmp_path)

    conn = connect(module_db, autocommit=True)
    try:
        with conn.cursor() as cur:
            before = sales_days(cur, "marts.sales_metrics_daily")
            (refund_id, refund_order, refund_updated), (cancel_id, cancel_order, cancel_updated) = (
                pick_orders(cur)
            )
            # A refund made two days before the as-of time, landed only now.
            refund_at = (NOW - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
            refund_order["refunds"] = [
                {
                    "id": "gid://shopify/Refund/990000001",
                    "createdAt": refund_at,
                    "note": "late refund",
                    "totalRefundedSet": {"shopMoney": {"amount": "12.34", "currencyCode": "USD"}},
                }
            ]
            # An order cancelled after the fact: it no longer counts on the day it was placed.
            cancel_order["cancelledAt"] = refund_at
            for order_id, payload, updated in (
                (refund_id, refund_order, refund_updated),
                (cancel_id, cancel_order, cancel_updated),
            ):
                cur.execute(
                    "update raw_shopify.orders set payload = %s, updated_at = %s,"
                    " extracted_at = now() where shop_domain = %s and id = %s",
                    (json.dumps(payload), updated + timedelta(seconds=1), SHOP, order_id),
                )
            refund_day = local_day(cur, refund_at)
            cancel_day = local_day(cur, cancel_order["createdAt"])
            cancelled_total = Decimal(cancel_order["totalPriceSet"]["shopMoney"]["amount"])

        build(module_db, tmp_path)  # incremental: sales_metrics_daily already exists

        with conn.cursor() as cur:
            after = sales_days(cur, "marts.sales_metrics_daily")
            recomputed = sales_days(cur, "intermediate.int_sales_daily_aggregated")
    finally:
        conn.close()

    assert after == recomputed, "incremental sales_metrics_daily differs from a full recompute"
    assert after[refund_day][2] == before[refund_day][2] + Decimal("12.34")
    assert after[cancel_day][0] == before[cancel_day][0] - 1
    assert after[cancel_day][1] == before[cancel_day][1] - cancelled_total
    unchanged = set(before) - {refund_day, cancel_day}
    assert all(after[day] == before[day] for day in unchanged)
