"""A record a guarding test would fail on is quarantined from the tile, never freezing it.

One order fulfilled before it was created and one dated 2099 land beside a sound change. The
real-time selection (`+fulfillment_tracking+`) builds green; the two orders are kept out of
fulfillment_tracking, listed in fulfillment_quarantine and flagged in v_data_quality_alerts; the
sound change reaches the tile.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sandbox.store import SandboxStore
from tests.support.dbt_runs import failure_summary, run_dbt_isolated
from tests.support.raw_loader import load_store
from warehouse.connection import connect
from warehouse.settings import DatabaseUrl

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
AS_OF = "2026-06-01T12:00:00Z"
SHOP = "hot-rod-an.sandbox.test"
REALTIME = ("+fulfillment_tracking+",)


def build(url: DatabaseUrl, target: Path, *args: str):
    return run_dbt_isolated(url, ["build", *(args or ("--select", *REALTIME))], target, as_of=AS_OF)


def fulfilled_orders(cur, limit: int) -> list[tuple[str, dict]]:
    cur.execute(
        "select id, payload from raw_shopify.orders"
        " where shop_domain = %s and (payload ->> 'test')::boolean is false"
        " and payload ->> 'cancelledAt' is null"
        " and jsonb_array_length(payload -> 'fulfillments') > 0"
        " and not payload -> 'tags' ? 'issue:damaged_goods'"
        " order by id limit %s",
        (SHOP, limit),
    )
    return cur.fetchall()


def put(cur, order_id: str, payload: dict) -> None:
    """Land an order's new payload as the extractor does (a newer version, a new landing time)."""
    cur.execute(
        "update raw_shopify.orders set payload = %s, updated_at = updated_at + interval '1 second',"
        " extracted_at = now() where shop_domain = %s and id = %s",
        (json.dumps(payload), SHOP, order_id),
    )


def order_number(payload: dict) -> str:
    return payload["name"]


def test_a_bad_record_is_quarantined_and_the_tile_keeps_refreshing(
    module_db: DatabaseUrl, store: SandboxStore, tmp_path: Path
) -> None:
    load_store(module_db, store)
    # the warehouse the real-time runs refresh: every model they touch or read, built once
    first = build(
        module_db,
        tmp_path,
        *("--select", "@fulfillment_tracking", "--exclude-resource-type", "test", "unit_test"),
    )
    assert first.returncode == 0, failure_summary(first)

    conn = connect(module_db, autocommit=True)
    try:
        with conn.cursor() as cur:
            (early_id, early), (future_id, future), (sound_id, sound) = fulfilled_orders(cur, 3)
            # fulfilled a day before it was created: days_to_fulfill < 0 (non_negative fails)
            early["createdAt"] = "2026-05-20T12:00:00Z"
            early["fulfillments"][0]["createdAt"] = "2026-05-19T12:00:00Z"
            early["fulfillments"][0]["status"] = "SUCCESS"
            put(cur, early_id, early)
            # dated 2099 (not_in_future fails)
            future["createdAt"] = "2099-01-01T00:00:00Z"
            put(cur, future_id, future)
            # a sound change: the order gets an issue tag the tile must show
            sound["tags"] = [*sound.get("tags", []), "issue:damaged_goods", "severity:high"]
            put(cur, sound_id, sound)

        result = build(module_db, tmp_path)
        assert result.returncode == 0, failure_summary(result)

        with conn.cursor() as cur:
            cur.execute(
                "select order_number, reason from marts.fulfillment_quarantine"
                " where shop_domain = %s order by reason",
                (SHOP,),
            )
            quarantined = cur.fetchall()
            cur.execute(
                "select order_number from marts.fulfillment_tracking"
                " where shop_domain = %s and order_number = any(%s)",
                (SHOP, [order_number(early), order_number(future)]),
            )
            in_tile = cur.fetchall()
            cur.execute(
                "select issue_type, issue_severity from marts.fulfillment_tracking"
                " where shop_domain = %s and order_number = %s",
                (SHOP, order_number(sound)),
            )
            sound_issue = cur.fetchall()
            cur.execute(
                "select alert_message from marts.v_data_quality_alerts"
                " where shop_domain = %s and alert_type = 'quality_check'",
                (SHOP,),
            )
            alerts = " | ".join(message for (message,) in cur.fetchall())
    finally:
        conn.close()

    assert quarantined == [
        (order_number(future), "created_in_future"),
        (order_number(early), "fulfilled_before_created"),
    ]
    assert in_tile == [], "a quarantined order is still in the tile"
    assert sound_issue == [("damaged_goods", "high")], "the sound change never reached the tile"
    assert "fulfilled_before_created: 1 failing rows" in alerts, alerts
    assert "orders_in_future: 1 failing rows" in alerts, alerts
