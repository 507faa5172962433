"""Issue 17 item 4: the extraction is partitioned per shop, runs per shop, queues per shop."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import dagster as dg
import pytest
import yaml

from hotrod.sources import sources
from orchestration.defs.loader import build_definitions
from orchestration.defs.schedules import CADENCE_TAG, DAILY, EXTRACT_SHOP, Plan
from orchestration.defs.shop_builds import SENSOR_NAME, evaluate
from orchestration.defs.shops import SHOP_TAG, configured_shops
from orchestration.instance import TEMPLATE
from warehouse.connection import connect
from warehouse.settings import REPO_ROOT

ORDERS = 300
GHOST = "ghost-shop.sandbox.test"  # configured, but no such shop answers: its extraction fails


def _extraction_defs(defs: dg.Definitions) -> dict[str, dg.AssetsDefinition]:
    return {a.op.name: a for a in defs.assets if getattr(a, "op", None) is not None}


def test_the_queue_holds_one_run_per_shop_at_a_time():
    from dagster._core.run_coordinator import QueuedRunCoordinator

    template = TEMPLATE.read_text()
    assert (REPO_ROOT / "dagster.yaml").read_text() == template
    config = yaml.safe_load(template)["run_coordinator"]["config"]
    limits = {limit["key"]: limit for limit in config["tag_concurrency_limits"]}
    for key in (SHOP_TAG, "dagster/partition"):  # schedule runs / backfills and UI launches
        assert limits[key]["limit"] == 1
        assert limits[key]["value"] == {"applyLimitPerUniqueValue": True}
    coordinator = QueuedRunCoordinator(**config)  # Dagster accepts the configuration
    assert coordinator.dequeue_interval_seconds == 1  # a queued real-time run starts promptly


def test_partitions_are_the_configured_shops(monkeypatch):
    monkeypatch.setenv("SHOPIFY_SHOP", "b.example.test, a.example.test")
    monkeypatch.setenv("CHATWOOT_ACCOUNT_ID", "7=c.example.test,8")
    monkeypatch.delenv("GA4_PROPERTY_ID", raising=False)
    assert configured_shops() == ["a.example.test", "b.example.test", "c.example.test"]
    defs = build_definitions()
    assets = _extraction_defs(defs)
    for name in ("extract_shopify", "extract_chatwoot", "extract_ga4"):
        assert assets[name].partitions_def.get_partition_keys() == configured_shops()
    assert assets["extract_app"].partitions_def is None  # one listing serves every shop
    assert assets["hotrod_dbt"].partitions_def is None  # set-based over every shop

    # the daily schedule: one extraction run per shop (tagged for the queue), nothing else
    schedule = next(s for s in defs.schedules if s.name == f"{DAILY}_schedule")
    assert schedule.job_name == EXTRACT_SHOP
    when = datetime(2026, 11, 30, 2, tzinfo=UTC)
    with dg.build_schedule_context(
        scheduled_execution_time=when, repository_def=defs.get_repository_def()
    ) as context:
        requests = schedule.evaluate_tick(context).run_requests
    assert [r.partition_key for r in requests] == configured_shops()
    assert all(r.tags[SHOP_TAG] == r.partition_key for r in requests)
    assert all(r.tags[CADENCE_TAG] == DAILY for r in requests)
    keys = {k.to_user_string() for k in requests[0].asset_selection}
    assert {"raw_shopify/orders", "raw_chatwoot/conversations"} <= keys
    assert not any(k.startswith("raw_app/") for k in keys)
    # the daily job itself is the warehouse-wide part: app extraction and dbt, no shop
    daily = defs.resolve_job_def(DAILY)
    assert daily.partitions_def is None
    daily_keys = {k.path[0] for k in daily.asset_layer.selected_asset_keys}
    assert "raw_app" in daily_keys and "marts" in daily_keys
    assert not daily_keys & {"raw_shopify", "raw_chatwoot", "raw_ga4"}


def _run_shop(defs, instance, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def(EXTRACT_SHOP)
    return job.execute_in_process(
        instance=instance,
        partition_key=request.partition_key,
        asset_selection=list(request.asset_selection),
        tags=request.tags,
        raise_on_error=False,
    )


def _shops_landed(url, table: str) -> set[str]:
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(f"select distinct shop_domain from {table}")  # noqa: S608 - test constant
        return {row[0] for row in cur.fetchall()}


def test_each_shop_extracts_alone_and_a_failing_shop_holds_no_other_back(
    module_db, use_db, monkeypatch
):
    pytest.importorskip("sandbox.server", reason="the sandbox has not landed")
    use_db(module_db)
    monkeypatch.setenv("HOTROD_SOURCES", "sandbox")
    with sources(ORDERS, 42, out=lambda _line: None) as env:
        shops = env["SHOPIFY_SHOP"].split(",")
        monkeypatch.setenv("SHOPIFY_SHOP", ",".join([GHOST, *shops]))
        assert os.environ["SHOPIFY_SHOP"].startswith(GHOST)
        defs = build_definitions()
        schedule = next(s for s in defs.schedules if s.name == f"{DAILY}_schedule")
        when = datetime(2026, 11, 30, 2, tzinfo=UTC)
        with dg.build_schedule_context(
            scheduled_execution_time=when, repository_def=defs.get_repository_def()
        ) as context:
            requests = {r.partition_key: r for r in schedule.evaluate_tick(context).run_requests}
        assert set(requests) == {GHOST, *shops}
        sensor = next(s for s in defs.sensors if s.name == SENSOR_NAME)
        plans = [Plan(DAILY, tuple(requests[GHOST].asset_selection))]
        with dg.DagsterInstance.ephemeral() as instance:
            ghost = _run_shop(defs, instance, requests[GHOST])
            assert not ghost.success  # the unknown shop fails its own run...
            builds, cursor, _ = evaluate(instance, plans, None)
            assert builds == []  # ...lands nothing, so it starts no build

            first = _run_shop(defs, instance, requests[shops[0]])
            assert first.success
            assert _shops_landed(module_db, "raw_shopify.orders") == {shops[0]}
            assert _shops_landed(module_db, "raw_chatwoot.conversations") <= {shops[0]}
            builds, cursor, _ = evaluate(instance, plans, cursor)
            assert [b.job_name for b in builds] == [DAILY]
            assert builds[0].tags["hotrod/shops"] == shops[0]

            second = _run_shop(defs, instance, requests[shops[1]])
            assert second.success
            assert _shops_landed(module_db, "raw_shopify.orders") == {shops[0], shops[1]}
            # a build of the cadence still running: the landed shop waits for the next one
            instance.add_run(
                dg.DagsterRun(job_name=DAILY, run_id="build-1", status=dg.DagsterRunStatus.STARTED)
            )
            waiting, same_cursor, why = evaluate(instance, plans, cursor)
            assert waiting == [] and same_cursor == cursor and "build-1" in why[0]
            instance.report_run_canceled(instance.get_run_by_id("build-1"))
            builds, cursor, _ = evaluate(instance, plans, cursor)
            assert builds[0].tags["hotrod/shops"] == shops[1]
            assert json.loads(cursor)[DAILY] > 0

            # the sensor itself, as the daemon evaluates it: one build of the daily job
            with dg.build_sensor_context(
                instance=instance, repository_def=defs.get_repository_def()
            ) as context:
                tick = sensor.evaluate_tick(context)
            assert [r.job_name for r in tick.run_requests] == [DAILY]
            assert json.loads(tick.cursor)[DAILY] == json.loads(cursor)[DAILY]
            with dg.build_sensor_context(
                instance=instance, cursor=tick.cursor, repository_def=defs.get_repository_def()
            ) as context:
                assert not sensor.evaluate_tick(context).run_requests  # nothing new landed
        assert DAILY in {job.name for job in sensor.jobs}
