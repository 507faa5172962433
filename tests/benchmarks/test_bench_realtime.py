"""`hotrod bench --realtime`: the parts that decide its figures (which tile an event feeds, when
the stream's queue counts as bounded). No timing assertions."""

from __future__ import annotations

from benchmarks.harness.realtime import contract_views, queue_figures, tile_for
from benchmarks.harness.runner import REALTIME_PATHS


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
