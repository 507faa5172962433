"""End to end in-process: sandbox -> extractors -> raw -> dbt build, every asset, every check."""

from __future__ import annotations

import pytest
from dagster import DagsterEventType, DagsterInstance

from hotrod.sources import sources
from orchestration.defs.daily import FULL, TESTS_TAG, daily_dbt_nodes
from orchestration.defs.dbt import load_manifest, translator
from orchestration.defs.loader import build_definitions
from orchestration.defs.project import dbt_project
from orchestration.defs.release import code_only_nodes
from orchestration.defs.schedules import DAILY, MATERIALIZE_ALL, REALTIME_CHECKS_JOB, REALTIME_JOB
from orchestration.defs.shops import every_shop_tags
from tests.support.dagster_jobs import one_op_job
from warehouse.connection import connect

ORDERS = 400


def test_materialize_every_asset_against_the_sandbox(module_db, use_db, monkeypatch):
    pytest.importorskip("sandbox.server", reason="the sandbox has not landed")
    pytest.importorskip("extractors.run", reason="the extractors have not landed")
    use_db(module_db)
    monkeypatch.setenv("HOTROD_SOURCES", "sandbox")  # what `make run` sets
    with sources(ORDERS, 42, out=lambda _line: None) as env:
        assert env["SHOPIFY_SHOP"].split(",")[0].endswith(".sandbox.test")
        defs = build_definitions()  # the shop partitions: the sandbox's shops
        job = defs.resolve_job_def(MATERIALIZE_ALL)
        graph = defs.resolve_asset_graph()
        materializable = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
        assert job.asset_layer.selected_asset_keys == materializable
        assert job.partitions_def.get_partition_keys() == sorted(env["SHOPIFY_SHOP"].split(","))
        with DagsterInstance.ephemeral() as instance:
            result = job.execute_in_process(
                instance=instance,
                raise_on_error=False,
                tags=every_shop_tags(job.partitions_def),  # what `hotrod run` does
            )
            realtime_job = defs.resolve_job_def(REALTIME_JOB)
            realtime = realtime_job.execute_in_process(instance=instance, raise_on_error=False)
            checks_job = defs.resolve_job_def(REALTIME_CHECKS_JOB)
            checks = checks_job.execute_in_process(instance=instance, raise_on_error=False)
            # an ordinary day: yesterday's daily run tested every row (its data tests now read
            # the changed rows), and the build above recorded this release of the views
            yesterday = one_op_job(DAILY).execute_in_process(
                instance=instance, tags={TESTS_TAG: FULL}
            )
            assert yesterday.success
            daily_job = defs.resolve_job_def(DAILY)
            daily = daily_job.execute_in_process(instance=instance, raise_on_error=False)

    failures = [
        f"{e.step_key}: {e.event_specific_data.error.message[:400]}"
        for e in result.all_events
        if e.is_step_failure
    ]
    assert result.success, "\n".join(failures)
    done = {e.asset_key for e in result.get_asset_materialization_events()}
    assert done == materializable, sorted(k.to_user_string() for k in materializable - done)

    evaluations = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    check_keys = set(graph.asset_check_keys)
    assert {ev.asset_check_key for ev in evaluations} == check_keys
    failed = [
        f"{ev.asset_key.to_user_string()}:{ev.check_name} "
        f"{ {k: v.value for k, v in ev.metadata.items()} }"
        for ev in evaluations
        if not ev.passed
    ]
    assert not failed, failed

    conn = connect(module_db, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("select count(*) from raw_shopify.orders")
        assert cur.fetchone()[0] >= ORDERS * 0.9
        cur.execute("select count(distinct shop_domain) from raw_shopify.orders")
        assert cur.fetchone()[0] == 3

    _realtime_builds_the_tiles_then_its_checks_job_tests_them(
        realtime, realtime_job, checks, checks_job
    )
    _an_ordinary_day_leaves_the_built_views_and_seeds_out(daily, daily_job, module_db)


def _an_ordinary_day_leaves_the_built_views_and_seeds_out(daily, daily_job, url) -> None:
    """Issue 17: the materialize-all build recorded its release (every view and seed built);
    the next ordinary daily run rebuilds the tables, runs their tests, and leaves the views,
    the seeds and their tests out (orchestration/defs/release.py)."""
    failures = [
        e.event_specific_data.error.message[:400] for e in daily.all_events if e.is_step_failure
    ]
    assert daily.success, failures
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("select count(*) from raw_app.dbt_release")
        assert cur.fetchone()[0] == 1
    manifest = load_manifest(dbt_project().manifest_path)
    nodes = manifest["nodes"]
    views = {
        translator().get_asset_key(nodes[uid])
        for uid in code_only_nodes(manifest, daily_dbt_nodes(manifest))
    }
    assert len(views) > 40
    assert views <= daily_job.asset_layer.selected_asset_keys
    materialized = {e.asset_key for e in daily.all_events if e.is_step_materialization}
    assert materialized.isdisjoint(views), sorted(k.to_user_string() for k in materialized & views)
    assert {"stg_shopify__orders", "sales_metrics_daily"} <= {k.path[-1] for k in materialized}
    checked = {
        e.event_specific_data.asset_key
        for e in daily.all_events
        if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    }
    assert checked, "no data test ran"
    assert checked.isdisjoint(views)


def _realtime_builds_the_tiles_then_its_checks_job_tests_them(
    realtime, realtime_job, checks, checks_job
) -> None:
    """Issue 17: the real-time run builds its models (the tiles' tables) and runs no test; the
    checks job (started by the sensor after it) runs every data test of those models, and
    builds nothing."""
    assert realtime.success
    events = realtime.all_events
    materialized = {e.asset_key for e in events if e.is_step_materialization}
    assert materialized == realtime_job.asset_layer.selected_asset_keys
    assert not [e for e in events if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION]
    assert {"fulfillment_tracking", "rpt_fulfillment_health", "rpt_cx_health"} <= {
        key.path[-1] for key in materialized
    }

    failures = [
        e.event_specific_data.error.message[:400] for e in checks.all_events if e.is_step_failure
    ]
    assert checks.success, failures
    assert not [e for e in checks.all_events if e.is_step_materialization]
    evaluations = [
        e.event_specific_data
        for e in checks.all_events
        if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    selected = set().union(*(d.assets_def.check_keys for d in checks_job.asset_layer.data))
    assert len(selected) > 100
    assert {ev.asset_check_key for ev in evaluations} == selected
    assert {key.asset_key for key in selected} <= materialized
    assert all(ev.passed for ev in evaluations), [
        ev.check_name for ev in evaluations if not ev.passed
    ]
