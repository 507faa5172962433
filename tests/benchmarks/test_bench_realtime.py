"""`hotrod bench --realtime`: the parts that decide its figures (which tile an event feeds, when
the stream's queue counts as bounded). No timing assertions."""

from __future__ import annotations

import time

from benchmarks.harness.realtime import ContractPoller, contract_views, queue_figures, tile_for
from benchmarks.harness.runner import REALTIME_PATHS
from warehouse.connection import connect
from warehouse.settings import DatabaseUrl


def test_each_sensor_topic_feeds_a_tile_and_the_rest_none() -> None:
    assert tile_for("orders/updated") == "v_fulfillment_health_summary"
    assert tile_for("fulfillments/create") == "v_fulfillment_health_summary"
    assert tile_for("conversation_status_changed") == "v_cx_health_summary"
    assert tile_for("message_created") == "v_cx_health_summary"
    assert tile_for("products/update") is None
    assert tile_for("inventory_levels/update") is None


def test_the_poller_reads_every_contract_view() -> None:
    views = contract_views()
    assert len(views) > 48 and all(v.startswith("v_") for v in views)
    assert {"v_fulfillment_health_summary", "v_cx_health_summary"} <= set(views)
    assert {p.split(".")[0] for p in REALTIME_PATHS} >= {"realtime", "goals", "machine"}


def test_the_poller_reads_at_a_dashboards_pace_and_counts_a_missing_view(
    fresh_db: DatabaseUrl,
) -> None:
    """One pass over the views per second, not flat out (it would take a CPU from the runs it
    measures); a view that is not there is an error each pass, and the next pass reads again."""
    conn = connect(fresh_db, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute("create view public.v_here as select 1 as one")
    finally:
        conn.close()
    poller = ContractPoller(fresh_db, ["v_here", "v_missing"], shop="", schema="public")
    with poller:
        poller.phase = "build"
        time.sleep(3.5)
        poller.phase = None
    figures = poller.figures("build")
    assert 3 <= figures["loops"] <= 5
    assert figures["loops"] <= figures["errors"] <= figures["loops"] + 1
    assert 2 * figures["loops"] <= figures["reads"] <= 2 * figures["loops"] + 2
    assert {s["view"] for s in poller.error_samples} == {"v_missing"}


def test_the_queue_is_bounded_only_when_it_stops_growing() -> None:
    def samples(waiting: list[int]) -> list[dict]:
        return [
            {
                "during_stream": True,
                "events_not_visible": w,
                "runs_unfinished": 1,
                "runs_queued": 0,
                "events_waiting_for_a_run": w,
            }
            for w in waiting
        ]

    saw_tooth = queue_figures(samples([3, 9, 14, 2, 8, 15, 3, 9, 14, 1, 8, 15]), 1.0)
    growing = queue_figures(samples([3, 9, 14, 20, 26, 33, 40, 47, 52, 60, 66, 71]), 1.0)
    assert saw_tooth["bounded"] is True
    assert growing["bounded"] is False
    assert saw_tooth["max_unfinished_runs"] == 1
