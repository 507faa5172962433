"""The daily run (issue 17 item 3): SPEC cadences only, the bench's selection is the job's, and the
watermark its data tests read after (defs/daily.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import dagster as dg
import pytest

from orchestration.defs.daily import (
    CHANGED,
    FULL,
    TESTS_SINCE_ENV,
    TESTS_TAG,
    daily_dbt_nodes,
    daily_dbt_selection,
    rows_changed_since,
    run_tests_env,
    source_tests_read_by,
)
from orchestration.defs.dbt import DBT_ASSETS_NAME, load_manifest, translator
from orchestration.defs.loader import build_definitions
from orchestration.defs.project import dbt_project
from orchestration.defs.schedules import (
    CADENCES,
    CHECKS_UNTIL_TAG,
    DAILY,
    MATERIALIZE_ALL,
    REALTIME_CHECKS_JOB,
    REALTIME_JOB,
)
from tests.support.dagster_jobs import one_op_job

# Tuesday 2026-12-01 and Monday 2026-11-30, 02:05 UTC
TUESDAY = datetime(2026, 12, 1, 2, 5, tzinfo=UTC)
MONDAY = datetime(2026, 11, 30, 2, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    return build_definitions()


@pytest.fixture(scope="module")
def manifest(defs) -> dict:
    return load_manifest(dbt_project().manifest_path)


def _dbt_keys(defs: dg.Definitions, job: str) -> set[dg.AssetKey]:
    [dbt_def] = [a for a in defs.assets if getattr(a, "op", None) and a.op.name == DBT_ASSETS_NAME]
    selected = set(defs.resolve_job_def(job).asset_layer.selected_asset_keys)
    return selected & set(dbt_def.keys)


def test_weekly_models_run_on_their_cadence_only(defs, manifest):
    """The weekly tables are rebuilt by the weekly job only (the monthly cadence's models are
    views downstream of the daily tables: re-created with them, they compute at read time)."""
    [weekly] = [c for c in CADENCES if c.name == "segments_categories_weekly"]
    for job in (DAILY, "sku_performance_hourly"):
        built = {k.path[-1] for k in _dbt_keys(defs, job)}
        assert built.isdisjoint(weekly.models), f"{job} rebuilds a weekly model"
    assert set(weekly.models) <= {k.path[-1] for k in _dbt_keys(defs, weekly.name)}
    names = {manifest["nodes"][uid]["name"] for uid in daily_dbt_nodes(manifest)}
    assert names.isdisjoint(weekly.models)
    assert {"sales_metrics_daily", "inventory_snapshots", "stg_shopify__orders"} <= names


def test_the_bench_selection_is_the_daily_job_s(defs, manifest):
    """daily_dbt_nodes (what `hotrod bench` builds) is the Dagster daily job's dbt subset."""
    tr = translator()
    computed = {tr.get_asset_key(manifest["nodes"][uid]) for uid in daily_dbt_nodes(manifest)}
    assert computed == _dbt_keys(defs, DAILY)
    # the tests of the raw sources it reads are selected too, as dagster-dbt selects them
    # (the project has none today: freshness is checked by Dagster's own checks)
    tests = source_tests_read_by(manifest, daily_dbt_nodes(manifest))
    assert all(manifest["nodes"][t]["resource_type"] == "test" for t in tests)
    select = daily_dbt_selection(manifest)
    assert select[0] == "--select"
    assert len(select[1].split()) == len(daily_dbt_nodes(manifest)) + len(tests)


@pytest.mark.parametrize(
    ("now", "last", "last_full", "asked", "expected"),
    [
        (TUESDAY, TUESDAY - timedelta(days=1), MONDAY, False, TUESDAY - timedelta(days=1)),
        (TUESDAY, None, None, False, None),  # the first daily run ever
        (TUESDAY, TUESDAY - timedelta(days=1), None, False, None),  # never a full one
        (TUESDAY, TUESDAY - timedelta(hours=3), MONDAY, True, None),  # tagged hotrod/tests=full
        (MONDAY, MONDAY - timedelta(days=1), MONDAY - timedelta(days=6), False, None),  # Monday
        (MONDAY + timedelta(hours=5), MONDAY, MONDAY, False, MONDAY),  # Monday's second run
        (TUESDAY + timedelta(days=7), TUESDAY, MONDAY, False, None),  # a week without a full one
    ],
)
def test_when_the_daily_tests_read_every_row(now, last, last_full, asked, expected):
    assert rows_changed_since(now, last, last_full, asked) == expected


def _context(instance: dg.DagsterInstance, job: str, tags: dict[str, str] | None = None):
    """A stand-in for the dbt asset's context: a run of ``job`` started on ``instance``."""
    run = instance.create_run_for_job(one_op_job(job), tags=tags)
    log = SimpleNamespace(info=lambda message: None)
    return SimpleNamespace(run=run, instance=instance, log=log)


def _finished(instance: dg.DagsterInstance, job: str, tags: dict[str, str]) -> None:
    result = one_op_job(job).execute_in_process(instance=instance, tags=tags)
    assert result.success


def test_the_daily_job_reads_after_its_last_success_and_others_every_row():
    with dg.instance_for_test() as instance:
        first = _context(instance, DAILY)
        assert run_tests_env(first) == ({}, (TESTS_SINCE_ENV,))  # no earlier run: every row
        assert instance.get_run_by_id(first.run.run_id).tags[TESTS_TAG] == FULL

        _finished(instance, DAILY, {TESTS_TAG: FULL})
        [done] = instance.get_run_records(dg.RunsFilter(job_name=DAILY), limit=1)
        ended = datetime.fromtimestamp(done.end_time, UTC)
        second = _context(instance, DAILY)
        values, unset = run_tests_env(second)
        assert values == {TESTS_SINCE_ENV: ended.isoformat(timespec="microseconds")}
        assert unset == ()
        assert instance.get_run_by_id(second.run.run_id).tags[TESTS_TAG] == CHANGED

        asked = _context(instance, DAILY, {TESTS_TAG: FULL})
        assert run_tests_env(asked) == ({}, (TESTS_SINCE_ENV,))
        other = _context(instance, MATERIALIZE_ALL)
        assert run_tests_env(other) == ({}, (TESTS_SINCE_ENV,))


def test_the_realtime_checks_read_what_was_written_after_the_run_the_last_ones_followed():
    """The real-time job runs no data test; its checks job reads the rows written after the end
    of the real-time run its last successful run followed (the sensor tags each checks run)."""
    with dg.instance_for_test() as instance:
        assert run_tests_env(_context(instance, REALTIME_JOB)) == ({}, (TESTS_SINCE_ENV,))
        first = _context(instance, REALTIME_CHECKS_JOB)
        assert run_tests_env(first) == ({}, (TESTS_SINCE_ENV,))  # no earlier run: every row
        assert instance.get_run_by_id(first.run.run_id).tags[TESTS_TAG] == FULL

        until = "2026-11-30T21:00:00.123456+00:00"
        _finished(instance, DAILY, {TESTS_TAG: FULL})  # another job's success is not the mark
        assert run_tests_env(_context(instance, REALTIME_CHECKS_JOB))[0] == {}
        _finished(instance, REALTIME_CHECKS_JOB, {TESTS_TAG: FULL, CHECKS_UNTIL_TAG: until})
        second = _context(instance, REALTIME_CHECKS_JOB, {CHECKS_UNTIL_TAG: "later"})
        assert run_tests_env(second) == ({TESTS_SINCE_ENV: until}, ())
        assert instance.get_run_by_id(second.run.run_id).tags[TESTS_TAG] == CHANGED
        asked = _context(instance, REALTIME_CHECKS_JOB, {TESTS_TAG: FULL})
        assert run_tests_env(asked) == ({}, (TESTS_SINCE_ENV,))
        # a failed checks run is not a mark: the next one reads again from the last success
        failed = one_op_job(REALTIME_CHECKS_JOB)
        instance.report_run_failed(
            instance.create_run_for_job(failed, tags={CHECKS_UNTIL_TAG: "2026-11-30T22:00+00:00"})
        )
        assert run_tests_env(_context(instance, REALTIME_CHECKS_JOB))[0] == {TESTS_SINCE_ENV: until}
