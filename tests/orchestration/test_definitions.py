"""The Definitions: load cleanly, keys line up with dbt sources, everything is scheduled."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs.dbt import DBT_ASSETS_NAME
from orchestration.defs.extract import raw_keys
from orchestration.defs.loader import build_definitions
from orchestration.defs.project import dbt_project, loadable_project
from orchestration.defs.schedules import MATERIALIZE_ALL, REALTIME_CHECKS_JOB, REALTIME_JOB
from orchestration.defs.shops import configured_shops
from warehouse.settings import REPO_ROOT

BIN = Path(sys.executable).parent
SPEC_CRONS = {
    "sku_performance_hourly_schedule": "0 * * * *",
    "core_tables_daily_schedule": "0 2 * * *",
    "segments_categories_weekly_schedule": "0 3 * * 1",
    "growth_monthly_schedule": "0 4 1 * *",
}


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    return build_definitions()


def test_dagster_definitions_validate_passes_with_no_source_configured():
    unset = ("HOTROD_SOURCES", "SHOPIFY_SHOP", "SHOPIFY_ACCESS_TOKEN", "CHATWOOT_URL")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    out = subprocess.run(
        [str(BIN / "dagster"), "definitions", "validate"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    assert "Validation successful" in out.stdout + out.stderr


def test_import_does_no_work(tmp_path):
    """Importing the module neither parses dbt nor connects to a database."""
    env = dict(
        os.environ,
        HOTROD_DATABASE_URL="postgresql://nobody@127.0.0.1:1/nowhere",
        HOTROD_DAGSTER_DBT_TARGET=str(tmp_path / "target"),
    )
    code = "import orchestration.definitions as d; print(type(d.defs).__name__)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert not (tmp_path / "target").exists()


def test_manifest_is_prepared_when_missing_and_kept_outside_dagster_dev(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTROD_DAGSTER_DBT_TARGET", str(tmp_path / "target"))
    monkeypatch.delenv("DAGSTER_IS_DEV_CLI", raising=False)
    assert not dbt_project().manifest_path.exists()
    path = loadable_project(None).manifest_path
    assert path.exists()
    assert (tmp_path / "target" / "partial_parse.msgpack").exists()
    mtime = path.stat().st_mtime_ns
    assert loadable_project(None).manifest_path.stat().st_mtime_ns == mtime  # not parsed again


def test_under_dagster_dev_a_fresh_manifest_is_not_parsed_again(tmp_path, monkeypatch):
    """Issue 17: a run worker loads the definitions the code server prepared without a `dbt
    parse` of its own; a project file newer than the manifest makes the next load parse; the
    saved parse state keeps the seeds (a run's dbt then parses nothing)."""
    monkeypatch.setenv("HOTROD_DAGSTER_DBT_TARGET", str(tmp_path / "target"))
    monkeypatch.setenv("DAGSTER_IS_DEV_CLI", "1")
    path = loadable_project(None).manifest_path
    assert (path.parent / "manifest.stamp.json").exists()
    mtime = path.stat().st_mtime_ns
    assert loadable_project(None).manifest_path.stat().st_mtime_ns == mtime  # fresh: kept

    model = REPO_ROOT / "dbt_project" / "models" / "staging" / "shopify" / "stg_shopify__orders.sql"
    before = model.stat()
    try:
        later = path.stat().st_mtime + 5
        os.utime(model, (later, later))
        assert loadable_project(None).manifest_path.stat().st_mtime_ns > mtime  # stale: parsed
    finally:
        os.utime(model, ns=(before.st_atime_ns, before.st_mtime_ns))

    from dbt.contracts.graph.manifest import Manifest

    saved = Manifest.from_msgpack((path.parent / "partial_parse.msgpack").read_bytes())
    seeds = [f for f in saved.files.values() if f.parse_file_type == "seed"]
    assert seeds and all(set(f.checksum.checksum) != {"0"} for f in seeds)


def test_extraction_keys_are_the_dbt_source_keys(defs):
    graph = defs.resolve_asset_graph()
    dbt_keys = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    for key in raw_keys():
        node = graph.get(key)
        assert node.is_materializable
        # every raw table feeds at least one staging model
        children = {c.path[0] for c in node.child_keys}
        assert "staging" in children, f"{key.to_user_string()} feeds no staging model"
    # and no staging model reads a raw table nobody lands (except the support tables)
    landed = set(raw_keys())
    for key in dbt_keys:
        if key.path[0] != "staging":
            continue
        for parent in graph.get(key).parent_keys:
            if parent.path[0].startswith("raw_") and parent not in landed:
                assert not graph.get(parent).is_materializable


def test_groups_by_layer_and_domain(defs):
    graph = defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert {"raw_shopify", "raw_chatwoot", "raw_app"} <= groups
    assert any(g.startswith("staging_") for g in groups)
    assert any(g.startswith("marts") for g in groups)


def test_every_asset_is_scheduled_and_crons_follow_the_spec(defs):
    schedules = {s.name: s for s in defs.schedules}
    for name, cron in SPEC_CRONS.items():
        assert schedules[name].cron_schedule == cron
        assert schedules[name].execution_timezone == "UTC"
    assert schedules["warehouse_backup_schedule"].job_name == "warehouse_backup"
    assert schedules["retention_schedule"].job_name == "retention"

    graph = defs.resolve_asset_graph()
    materializable = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    # the cadence jobs after the shops' extraction runs are started by the shops_landed sensor
    landed = next(s for s in defs.sensors if s.name == "shops_landed_sensor")
    scheduled_jobs = [s.job_name for s in defs.schedules] + [REALTIME_JOB]
    scheduled_jobs += [job.name for job in landed.jobs]
    covered = set()
    for job in scheduled_jobs:
        covered |= set(defs.resolve_job_def(job).asset_layer.selected_asset_keys)
    assert materializable - covered == set()
    assert set(defs.resolve_job_def(MATERIALIZE_ALL).asset_layer.selected_asset_keys) == (
        materializable
    )


def _check_keys(defs: dg.Definitions, job: str) -> set[dg.AssetCheckKey]:
    layer = defs.resolve_job_def(job).asset_layer
    return {key for data in layer.data for key in data.assets_def.check_keys}


def test_schedule_jobs_select_their_models(defs):
    def names(job: str) -> set[str]:
        return {k.path[-1] for k in defs.resolve_job_def(job).asset_layer.selected_asset_keys}

    assert "sku_performance" in names("sku_performance_hourly")
    # its raw tables are extracted per shop: the schedule's runs of `extract_shop` select them
    schedule = next(s for s in defs.schedules if s.name == "sku_performance_hourly_schedule")
    with dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 11, 30, 5, tzinfo=UTC),
        repository_def=defs.get_repository_def(),
    ) as context:
        requests = schedule.evaluate_tick(context).run_requests or []
    shops = configured_shops()
    assert [r.partition_key for r in requests] == shops
    for request in requests:
        assert dg.AssetKey(["raw_shopify", "orders"]) in request.asset_selection
    assert {"sales_metrics_daily", "inventory_snapshots"} <= names("core_tables_daily")
    assert {"customer_segments", "product_categories"} <= names("segments_categories_weekly")
    assert {"fulfillment_tracking", "cx_conversations"} <= names(REALTIME_JOB)
    # issue 17: only the tables between the webhook-fed raw tables and the real-time tiles
    realtime = names(REALTIME_JOB)
    assert {"rpt_fulfillment_health", "rpt_cx_health", "int_customer_personas"} <= realtime
    assert not realtime & {"int_products_classified", "int_customers_segmented", "shops"}
    assert not any(name.startswith("v_") for name in realtime)  # views
    # the Chatwoot staging tables are incremental: each real-time run stages what landed
    assert {"stg_chatwoot__conversations", "stg_chatwoot__messages"} <= realtime
    # one process per real-time run: the dbt op runs in the run worker (no step process)
    assert defs.resolve_job_def(REALTIME_JOB).executor_def is dg.in_process_executor
    # its checks run in a job of their own (the sensor starts it after a successful run)
    assert _check_keys(defs, REALTIME_JOB) == set()
    assert names(REALTIME_CHECKS_JOB) == set()
    checked = _check_keys(defs, REALTIME_CHECKS_JOB)
    keys = set(defs.resolve_job_def(REALTIME_JOB).asset_layer.selected_asset_keys)
    [dbt_def] = [a for a in defs.assets if getattr(a, "op", None) and a.op.name == DBT_ASSETS_NAME]
    assert {s.key for s in dbt_def.check_specs if s.asset_key in keys} == checked  # dbt tests
    assert {k.asset_key.path[-1] for k in checked} >= {"fulfillment_tracking", "cx_conversations"}
    assert defs.resolve_job_def(REALTIME_CHECKS_JOB).executor_def is dg.in_process_executor
    assert "v_growth_milestones" in names("growth_monthly")


def test_dbt_tests_are_checks_and_error_severity_blocks(defs):
    from orchestration.defs.dbt import load_manifest

    manifest = load_manifest(dbt_project().manifest_path)
    [dbt_def] = [a for a in defs.assets if getattr(a, "op", None) and a.op.name == DBT_ASSETS_NAME]
    specs = {spec.name: spec for spec in dbt_def.check_specs}
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    assert len(specs) >= 0.9 * len(tests)  # (a few tests span several models: observations)
    errors = [t for t in tests if t["config"]["severity"].lower() == "error" and t["name"] in specs]
    assert errors
    assert all(specs[t["name"]].blocking for t in errors)
    warns = [t for t in tests if t["config"]["severity"].lower() == "warn" and t["name"] in specs]
    assert not any(specs[t["name"]].blocking for t in warns)


def test_a_run_s_newer_parse_state_becomes_the_shared_one(tmp_path, monkeypatch):
    """Issue 17: only the first run after a change re-parses (its state is kept for the next)."""
    from orchestration.defs.dbt import PARTIAL_PARSE, keep_partial_parse

    monkeypatch.setenv("HOTROD_DAGSTER_DBT_TARGET", str(tmp_path))
    shared = tmp_path / PARTIAL_PARSE
    shared.write_bytes(b"prepared")
    run_dir = tmp_path / "hotrod_dbt-run1"
    run_dir.mkdir()
    assert not keep_partial_parse(run_dir)  # the run left none

    produced = run_dir / PARTIAL_PARSE
    produced.write_bytes(b"prepared")
    os.utime(produced, (shared.stat().st_mtime + 5,) * 2)
    assert not keep_partial_parse(run_dir)  # newer but the same state
    produced.write_bytes(b"re-parsed by the run")
    os.utime(produced, (shared.stat().st_mtime + 10,) * 2)
    assert keep_partial_parse(run_dir)
    assert shared.read_bytes() == b"re-parsed by the run"
    assert {p.name for p in tmp_path.iterdir()} == {PARTIAL_PARSE, "hotrod_dbt-run1"}  # no leftover

    produced.write_bytes(b"an older run's state")
    os.utime(produced, (shared.stat().st_mtime - 60,) * 2)
    assert not keep_partial_parse(run_dir)  # never replaced by an older state
    assert shared.read_bytes() == b"re-parsed by the run"


def test_the_dbt_resource_knows_its_dbt_version_without_starting_dbt():
    """Issue 17: dagster-dbt would run `dbt --version` in every run worker; the resource reads
    the installed dbt-core's version, the one the executable reports."""
    from orchestration.defs.resources import dbt_resource

    resource = dbt_resource()
    reported = subprocess.run(
        [resource.dbt_executable, "--version"], capture_output=True, text=True, timeout=120
    ).stdout
    assert f"installed: {resource._cli_version}" in reported
