"""The daily run's dbt build (issue 17 item 3): the dbt nodes it builds, the rows its tests read.

**Selection.** The daily job (``core_tables_daily``) builds its models with everything up- and
downstream, and every dbt node no other cadence covers (``defs/schedules.py``); weekly and monthly
models run on their own cadence only. :func:`daily_dbt_selection` computes the same set from the
dbt manifest's maps, as the ``--select`` dagster-dbt passes (every node by its FQN, and the tests
of the raw sources those nodes read), so ``hotrod bench`` runs exactly the daily build
(a test in tests/orchestration checks it against the Dagster job).

**Data tests on the changed rows.** A model that stamps the rows a run writes declares the stamp
column (``meta: {changed_at: staged_at}``). In the daily run every data test on such a model reads
only the rows stamped after the end of the last successful daily run (the watermark, passed to dbt
as ``HOTROD_TESTS_CHANGED_SINCE``; ``macros/testing/changed_rows.sql``); a key test (``unique``,
``unique_combination``) reads every row sharing a key with those, so a duplicate introduced today
is caught the day it lands. Every test reads every row: in the first daily run of each Monday
(UTC, the weekly cadence's day) or when the last run that did is a week old, on the first daily
run ever, when the run is tagged ``hotrod/tests=full``, and in any other run (other jobs,
``make test``, CI, ``--full-refresh``). The watermark is an environment variable, not a dbt var:
dbt re-parses the whole project when ``--vars`` change, and it would change every day.

**Views, seeds and unit tests on the release.** On an ordinary day (the data tests read the
changed rows) the daily build leaves the views, the seeds, their tests and the unit tests out
while the warehouse holds this release of them (``defs/release.py``): :func:`code_only_exclusion`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg

from orchestration.defs.release import (
    CODE_ONLY,
    record_if_built,
    release_fingerprint,
    release_is_built,
)
from orchestration.defs.schedules import (
    CADENCES,
    CHECKS_UNTIL_TAG,
    DAILY,
    REALTIME_CHECKS_JOB,
    REALTIME_MODELS,
    REALTIME_SOURCES,
    REALTIME_TILES,
)
from warehouse.dbt_invocation import DBT_PROJECT_DIR
from warehouse.settings import DatabaseUrl

TESTS_SINCE_ENV = "HOTROD_TESTS_CHANGED_SINCE"
TESTS_TAG = "hotrod/tests"  # "full": every data test reads every row; "changed": the scoped run
FULL, CHANGED = "full", "changed"
FULL_TESTS_WEEKDAY = 0  # Monday (datetime.weekday): the weekly cadence's day (SPEC section 6)
FULL_TESTS_EVERY = timedelta(days=7)
BUILT_TYPES = ("model", "seed", "snapshot")


# --- selection ----------------------------------------------------------------------------------


def walk(start: Iterable[str], edges: Mapping[str, list[str]]) -> set[str]:
    """Every node reachable from ``start`` along ``edges`` (a manifest's parent or child map)."""
    seen = set(start)
    todo = list(seen)
    while todo:
        for nxt in edges.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _plus_model_plus(manifest: Mapping[str, Any], models: Iterable[str]) -> set[str]:
    """dbt's ``+m+`` for each model: the nodes built, its ancestors and its descendants."""
    nodes = manifest["nodes"]
    wanted = set(models)
    start = [uid for uid, n in nodes.items() if n["resource_type"] in BUILT_TYPES]
    start = [uid for uid in start if nodes[uid]["name"] in wanted]
    found = set()
    for uid in start:
        found |= walk([uid], manifest["parent_map"]) | walk([uid], manifest["child_map"])
    return {uid for uid in found if uid in nodes and nodes[uid]["resource_type"] in BUILT_TYPES}


def _realtime_nodes(manifest: Mapping[str, Any]) -> set[str]:
    """The real-time job's dbt nodes (``realtime_selection``): ``source:s+,+tile`` for every
    webhook-fed source and tile, i.e. descendants of the sources that are ancestors of the
    tiles, views left out."""
    nodes = manifest["nodes"]
    sources = [
        f"source.{manifest['metadata'].get('project_name', 'hotrod')}.{s}" for s in REALTIME_SOURCES
    ]
    sources = [uid for uid in manifest["sources"] if uid in sources]
    wanted = {*REALTIME_MODELS, *REALTIME_TILES}
    tiles = [
        uid for uid, n in nodes.items() if n["resource_type"] in BUILT_TYPES and n["name"] in wanted
    ]
    between = walk(sources, manifest["child_map"]) & walk(tiles, manifest["parent_map"])
    return {
        uid
        for uid in between
        if uid in nodes
        and nodes[uid]["resource_type"] in BUILT_TYPES
        and nodes[uid]["config"].get("materialized") != "view"
    }


def daily_dbt_nodes(manifest: Mapping[str, Any]) -> set[str]:
    """Unique ids of the models, seeds and snapshots the daily job builds: its cadence's models
    with everything up- and downstream, and every node no other cadence or the real-time job
    covers (``build_jobs_and_schedules``)."""
    everything = {uid for uid, n in manifest["nodes"].items() if n["resource_type"] in BUILT_TYPES}
    daily = next(c for c in CADENCES if c.name == DAILY)
    covered = _realtime_nodes(manifest)
    for cadence in CADENCES:
        if cadence.name != DAILY:
            covered |= _plus_model_plus(manifest, cadence.models)
    return _plus_model_plus(manifest, daily.models) | (everything - covered)


def source_tests_read_by(manifest: Mapping[str, Any], built: set[str]) -> set[str]:
    """The tests of the raw sources the built nodes read directly (Dagster runs them as checks of
    the source assets upstream of a subset it builds)."""
    parents = manifest["parent_map"]
    sources = {p for uid in built for p in parents.get(uid, []) if p in manifest["sources"]}
    return {
        uid
        for uid, n in manifest["nodes"].items()
        if n["resource_type"] == "test"
        and (n.get("attached_node") in sources or set(n["depends_on"]["nodes"]) & sources)
        and set(n["depends_on"]["nodes"]) <= sources
    }


def daily_dbt_selection(manifest: Mapping[str, Any]) -> list[str]:
    """``--select`` arguments of the daily build, as dagster-dbt writes them for the daily job's
    subset: each built node and each source test by its FQN, in one union."""
    nodes = manifest["nodes"]
    built = daily_dbt_nodes(manifest)
    chosen = sorted(built | source_tests_read_by(manifest, built))
    return ["--select", " ".join(".".join(nodes[uid]["fqn"]) for uid in chosen)]


def code_only_exclusion(
    url: DatabaseUrl, manifest: Mapping[str, Any], since: datetime | None
) -> list[str]:
    """``--exclude`` arguments of the daily build: the views, seeds and unit tests
    (:data:`~orchestration.defs.release.CODE_ONLY`) on an ordinary day (``since``: its data tests
    read the changed rows) when the warehouse holds this release of every one of them; else none
    (they are built and tested)."""
    if since is None:
        return []
    fingerprint = release_fingerprint(manifest, DBT_PROJECT_DIR)
    if not release_is_built(url, manifest, daily_dbt_nodes(manifest), fingerprint):
        return []
    return ["--exclude", CODE_ONLY]


def record_release(
    url: DatabaseUrl, manifest: Mapping[str, Any], run_results: Mapping[str, Any]
) -> bool:
    """After a successful build: record its release when it built every view and seed of the
    daily selection."""
    return record_if_built(url, manifest, daily_dbt_nodes(manifest), run_results, DBT_PROJECT_DIR)


# --- which rows the data tests read -------------------------------------------------------------


def rows_changed_since(
    now: datetime,
    last_success_end: datetime | None,
    last_full_success_end: datetime | None,
    asked_full: bool = False,
) -> datetime | None:
    """The watermark the daily run's data tests read after, or None for every row: asked, no
    earlier successful run, the first run of a Monday (UTC), or a week since the last full one."""
    if asked_full or last_success_end is None or last_full_success_end is None:
        return None
    if now - last_full_success_end >= FULL_TESTS_EVERY:
        return None
    if now.weekday() == FULL_TESTS_WEEKDAY and last_full_success_end.date() < now.date():
        return None
    return last_success_end


def watermark_env(since: datetime | None) -> dict[str, str]:
    """The dbt process's environment for a watermark (empty: every test reads every row)."""
    if since is None:
        return {}
    return {TESTS_SINCE_ENV: since.astimezone(UTC).isoformat(timespec="microseconds")}


def _last_success(
    instance: dg.DagsterInstance, job: str, tags: dict[str, str] | None = None
) -> dg.RunRecord | None:
    """The newest successful run of ``job`` (carrying ``tags``), if any."""
    records = instance.get_run_records(
        filters=dg.RunsFilter(
            job_name=job, statuses=[dg.DagsterRunStatus.SUCCESS], tags=tags or {}
        ),
        limit=1,
    )
    return records[0] if records else None


def _last_success_end(instance: dg.DagsterInstance, job: str, full_only: bool) -> datetime | None:
    record = _last_success(instance, job, {TESTS_TAG: FULL} if full_only else None)
    if record is None or record.end_time is None:
        return None
    return datetime.fromtimestamp(record.end_time, UTC)


def _last_checked_until(instance: dg.DagsterInstance) -> datetime | None:
    """The end of the real-time run the last successful checks run followed: the rows the
    real-time runs wrote before it were read by that checks run (or an earlier one)."""
    record = _last_success(instance, REALTIME_CHECKS_JOB)
    stamp = record.dagster_run.tags.get(CHECKS_UNTIL_TAG) if record else None
    try:
        return datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        return None


def run_tests_env(context: dg.AssetExecutionContext) -> tuple[dict[str, str], tuple[str, ...]]:
    """(variables to set, variables to unset) for the dbt process of this run: the daily job's
    watermark; for the real-time checks job, the end of the real-time run its last successful
    run followed (its tests read what the real-time runs wrote since: the daily run re-reads
    those rows, and every row weekly); nothing for any other job (the real-time job itself runs
    no data test). The run is tagged with the scope it used."""
    run = context.run
    if run.job_name not in (DAILY, REALTIME_CHECKS_JOB):
        return {}, (TESTS_SINCE_ENV,)
    instance = context.instance
    asked_full = run.tags.get(TESTS_TAG) == FULL
    if run.job_name == REALTIME_CHECKS_JOB:
        since = None if asked_full else _last_checked_until(instance)
    else:
        since = rows_changed_since(
            datetime.now(UTC),
            _last_success_end(instance, DAILY, full_only=False),
            _last_success_end(instance, DAILY, full_only=True),
            asked_full=asked_full,
        )
    instance.add_run_tags(run.run_id, {TESTS_TAG: FULL if since is None else CHANGED})
    if since is not None:
        context.log.info(f"data tests read the rows changed since {since.isoformat()}")
    return watermark_env(since), () if since is not None else (TESTS_SINCE_ENV,)


def run_exclusion(
    context: dg.AssetExecutionContext,
    url: DatabaseUrl,
    manifest: Mapping[str, Any],
    tests_env: Mapping[str, str],
) -> list[str]:
    """The daily job's :func:`code_only_exclusion` for this run (``tests_env``: what
    :func:`run_tests_env` set); none for any other job."""
    since = tests_env.get(TESTS_SINCE_ENV)
    if context.run.job_name != DAILY or not since:
        return []
    args = code_only_exclusion(url, manifest, datetime.fromisoformat(since))
    if args:
        context.log.info(
            "views, seeds and unit tests left out: the warehouse holds this release of them"
        )
    return args
