"""rpt_carrier_performance, incremental by shop week, equals a full rebuild (issue 17).

After a first build, shipments enter and leave weeks and carriers: an order with a shipment
deleted in Shopify (``deleted_at`` only), one turned test, a fulfillment cancelled, one moved to
another week, one given another carrier, one delivered, a new order shipped in an old week, and
a shipment moved alone into a week of its own. A plain incremental run follows, the report is
copied aside, rebuilt with ``--full-refresh`` and compared row for row (``refreshed_at`` aside).
Then three days pass (promised deliveries fall late: the weeks of those shipments change with no
raw change) while the lone shipment moves back (its week must vanish), and the comparison is made
again. Last, the upgrade: a table an earlier version built (no ``refreshed_at``, no watermark) is
rebuilt whole by a plain run.
"""

from __future__ import annotations

import json
from pathlib import Path

from sandbox.store import SandboxStore
from tests.dbt.test_incremental_equals_full import differences
from tests.support.dbt_runs import failure_summary, run_dbt_isolated
from tests.support.raw_loader import load_store
from warehouse.connection import connect
from warehouse.settings import DatabaseUrl

AS_OF = "2026-06-01T12:00:00Z"
LATER = "2026-06-04T12:00:00Z"
SHOP = "hot-rod-an.sandbox.test"
MODEL = "marts.rpt_carrier_performance"
LONE_WEEK = "2024-01-01"  # a Monday long before the sandbox's first order


def run(url: DatabaseUrl, target: Path, *extra: str, as_of: str = AS_OF, select=None) -> None:
    args = ["build", "--select", *(select or ("+rpt_carrier_performance",))]
    args += ["--exclude-resource-type", "test", "unit_test", *extra]
    result = run_dbt_isolated(url, args, target, as_of=as_of)
    assert result.returncode == 0, failure_summary(result)


def one(cur, query: str, *params) -> tuple:
    cur.execute(query, params)
    row = cur.fetchone()
    assert row is not None, f"the sandbox has no row for: {query}"
    return row


def put(cur, order_gid: str, payload: dict) -> None:
    """Write an order's new payload the way the extractor lands a newer version."""
    cur.execute(
        "update raw_shopify.orders set payload = %s,"
        " updated_at = updated_at + interval '1 second', extracted_at = now()"
        " where shop_domain = %s and id = %s",
        (json.dumps(payload), SHOP, order_gid),
    )
    assert cur.rowcount == 1


def compare_with_rebuild(conn, url: DatabaseUrl, target: Path, copy: str, as_of: str) -> int:
    with conn.cursor() as cur:
        cur.execute(f"create table {copy} as select * from {MODEL}")  # noqa: S608
    run(url, target, "--full-refresh", as_of=as_of, select=("rpt_carrier_performance",))
    with conn.cursor() as cur:
        cur.execute(f"select count(*) from {MODEL}")  # noqa: S608
        assert cur.fetchone()[0] > 100, "the report is missing"
        cur.execute(
            "select column_name from information_schema.columns where table_schema = 'marts'"
            " and table_name = 'rpt_carrier_performance' order by ordinal_position"
        )
        cols = [name for (name,) in cur.fetchall() if name != "refreshed_at"]
        return differences(cur, copy, MODEL, cols)


def shipped_orders(cur, count: int) -> list[tuple[str, dict]]:
    """Counted orders of the shop with one delivered, tracked SUCCESS fulfillment, each shipped
    five weeks or more after the one before (no other change of the test reaches their weeks)."""
    cur.execute(
        "select id, payload from ("
        " select id, payload, row_number() over (order by week) as nth from ("
        "  select distinct on (week) id, payload, week from ("
        "   select id, payload, date_trunc('week',"
        "    (payload -> 'fulfillments' -> 0 ->> 'createdAt')::timestamptz) as week"
        "   from raw_shopify.orders where shop_domain = %s"
        "   and (payload ->> 'test')::boolean is false and deleted_at is null"
        "   and jsonb_array_length(payload -> 'fulfillments') = 1"
        "   and payload -> 'fulfillments' -> 0 ->> 'status' = 'SUCCESS'"
        "   and jsonb_array_length(payload -> 'fulfillments' -> 0 -> 'trackingInfo') > 0"
        "   and payload -> 'fulfillments' -> 0 ->> 'deliveredAt' is not null"
        "  ) as shipped order by week, id"
        " ) as weekly"
        ") as spaced where nth %% 5 = 0 order by nth limit %s",
        (SHOP, count),
    )
    rows = cur.fetchall()
    assert len(rows) == count, "the sandbox has too few weeks of shipped orders"
    return rows


def test_carrier_performance_incremental_equals_a_full_rebuild(
    module_db: DatabaseUrl, store: SandboxStore, tmp_path: Path
) -> None:
    load_store(module_db, store)
    run(module_db, tmp_path)
    conn = connect(module_db, autocommit=True)
    try:
        with conn.cursor() as cur:
            picked = shipped_orders(cur, 7)
            (gone, _), (tested, test_p), (cancelled, cancel_p) = picked[:3]
            (moved, move_p), (recarried, carrier_p), (lone, lone_p), (copied, copy_p) = picked[3:]
            # a shipped order deleted in Shopify, one turned test, a fulfillment cancelled
            cur.execute(
                "update raw_shopify.orders set deleted_at = now() where shop_domain = %s"
                " and id = %s",
                (SHOP, gone),
            )
            test_p["test"] = True
            put(cur, tested, test_p)
            cancel_p["fulfillments"][0]["status"] = "CANCELLED"
            put(cur, cancelled, cancel_p)
            # a fulfillment moved three weeks on, another given another carrier
            shipped = move_p["fulfillments"][0]
            shipped["createdAt"] = _shifted(cur, shipped["createdAt"], "21 days")
            put(cur, moved, move_p)
            carrier_p["fulfillments"][0]["trackingInfo"][0]["company"] = "Pony Express"
            put(cur, recarried, carrier_p)
            # a shipment alone in a week of its own
            lone_ship = lone_p["fulfillments"][0]
            lone_created = lone_ship["createdAt"]
            lone_ship["createdAt"] = f"{LONE_WEEK}T18:00:00Z"
            put(cur, lone, lone_p)
            # a new order shipped in an old week (a copy of a shipped one)
            copy_p["fulfillments"][0]["id"] = "gid://shopify/Fulfillment/990000801"
            cur.execute(
                "insert into raw_shopify.orders (shop_domain, id, updated_at, payload, batch_id)"
                " values (%s, 'gid://shopify/Order/990000801', now(), %s, 'test')",
                (SHOP, json.dumps({**copy_p, "id": "gid://shopify/Order/990000801"})),
            )
            # an undelivered shipment with a promise, delivered now
            cur.execute(
                "select id, payload from raw_shopify.orders where shop_domain = %s"
                " and deleted_at is null and (payload ->> 'test')::boolean is false"
                " and jsonb_array_length(payload -> 'fulfillments') = 1"
                " and payload -> 'fulfillments' -> 0 ->> 'status' = 'SUCCESS'"
                " and payload -> 'fulfillments' -> 0 ->> 'deliveredAt' is null"
                " and payload -> 'fulfillments' -> 0 ->> 'estimatedDeliveryAt' is not null"
                " order by id limit 1",
                (SHOP,),
            )
            delivered = cur.fetchone()
            assert delivered is not None, "the sandbox has no shipment in transit"
            delivered[1]["fulfillments"][0]["deliveredAt"] = "2026-06-01T09:00:00Z"
            delivered[1]["fulfillments"][0]["displayStatus"] = "DELIVERED"
            put(cur, delivered[0], delivered[1])
        run(module_db, tmp_path)
        with conn.cursor() as cur:
            lone_rows = one(
                cur,
                f"select count(*), sum(shipments) from {MODEL}"  # noqa: S608
                " where shop_domain = %s and week_start = %s",
                SHOP,
                LONE_WEEK,
            )
            pony = one(
                cur,
                f"select coalesce(sum(shipments), 0) from {MODEL}"  # noqa: S608
                " where shop_domain = %s and carrier = 'Pony Express'",
                SHOP,
            )[0]
            written, total = one(
                cur,
                f"select count(*) filter (where refreshed_at = (select max(refreshed_at)"  # noqa: S608
                f" from {MODEL})), count(*) from {MODEL}",
            )
        assert lone_rows == (1, 1), "the lone shipment's week is missing"
        assert pony == 1, "the new carrier is missing"
        assert 0 < written < total, f"the incremental run rewrote {written} of {total} rows"
        assert compare_with_rebuild(conn, module_db, tmp_path, "public.carriers_1", AS_OF) == 0

        # Three days pass: shipments in transit fall late; the lone shipment moves back.
        with conn.cursor() as cur:
            lone_ship["createdAt"] = lone_created
            put(cur, lone, lone_p)
        run(module_db, tmp_path, as_of=LATER)
        with conn.cursor() as cur:
            lone_gone = one(
                cur,
                f"select count(*) from {MODEL} where shop_domain = %s and week_start = %s",  # noqa: S608
                SHOP,
                LONE_WEEK,
            )[0]
        assert lone_gone == 0, "a week left without shipments is still reported"
        assert compare_with_rebuild(conn, module_db, tmp_path, "public.carriers_2", LATER) == 0

        # The upgrade: the table an earlier version built, without refreshed_at or watermark.
        with conn.cursor() as cur:
            cur.execute(f"alter table {MODEL} drop column refreshed_at")  # noqa: S608
            cur.execute(f"update {MODEL} set shipments = shipments + 1")  # noqa: S608
            cur.execute(
                "delete from raw_app.dbt_watermarks"
                " where model_name = 'marts.rpt_carrier_performance'"
            )
        run(module_db, tmp_path, as_of=LATER, select=("rpt_carrier_performance",))
        assert compare_with_rebuild(conn, module_db, tmp_path, "public.carriers_up", LATER) == 0
    finally:
        conn.close()


def _shifted(cur, stamp: str, interval: str) -> str:
    return one(
        cur,
        "select to_char((%s::timestamptz + %s::interval) at time zone 'UTC',"
        ' \'YYYY-MM-DD"T"HH24:MI:SS"Z"\')',
        stamp,
        interval,
    )[0]
