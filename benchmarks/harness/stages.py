"""The timed stages: extraction through the HTTP sandbox, the COPY ceiling, `dbt build`."""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from psycopg2 import sql

from benchmarks.harness.proc import run_measured
from warehouse.connection import connection
from warehouse.dbt_invocation import DBT_PROJECT_DIR, dbt_env, dbt_executable
from warehouse.settings import DatabaseUrl

RAW_SCHEMAS = ("raw_shopify", "raw_chatwoot", "raw_app")
RAW_COLUMNS = ("shop_domain", "id", "updated_at", "payload", "batch_id")
# The extractor-only child (benchmarks/harness/extract_child.py): its database, its result line.
EXTRACT_URL_ENV = "HOTROD_BENCH_EXTRACT_URL"
EXTRACT_RESULT = "bench-extract-result "


# --- extraction ---------------------------------------------------------------------------------


def extract(url: DatabaseUrl, env: dict[str, str], progress: bool) -> dict[str, Any]:
    """Every source through the real extractors against the sandbox; ledger totals back."""
    from extractors import run
    from extractors.settings import from_env

    started = time.perf_counter()
    rows = run.extract_all(url, from_env(env), run.RunOptions(progress=progress))
    seconds = time.perf_counter() - started
    read = sum(r.rows_read for r in rows)
    by_entity: dict[str, int] = {}
    for r in rows:
        key = f"{r.source}.{r.entity}"
        by_entity[key] = by_entity.get(key, 0) + r.rows_read
    return {
        "seconds": round(seconds, 2),
        "records_read": read,
        "records_per_second": round(read / seconds, 1) if seconds else None,
        "rows_inserted": sum(r.rows_inserted for r in rows),
        "rows_updated": sum(r.rows_updated for r in rows),
        "api_calls": sum(r.api_calls for r in rows),
        "throttled_waits": sum(r.throttled_waits for r in rows),
        "modes": sorted({r.mode for r in rows}),
        "records_by_entity": by_entity,
        **timeline(rows),
    }


SLOWEST_SHOWN = 6


def timeline(rows: list[Any]) -> dict[str, Any]:
    """Where an extraction's time went, from its ledger rows: each source's span (its first
    entity's start to its last one's end: what limits the run's wall time) and the slowest
    entity reads (source, shop, entity, seconds, records, API calls)."""
    spans: dict[str, tuple[Any, Any]] = {}
    for r in rows:
        if r.finished_at is None:
            continue
        first, last = spans.get(r.source, (r.started_at, r.finished_at))
        spans[r.source] = (min(first, r.started_at), max(last, r.finished_at))
    slowest = sorted(
        (r for r in rows if r.duration_s is not None), key=lambda r: -float(r.duration_s)
    )[:SLOWEST_SHOWN]
    return {
        "source_seconds": {
            source: round((last - first).total_seconds(), 2)
            for source, (first, last) in sorted(spans.items())
        },
        "slowest_reads": [
            {
                "read": f"{r.source}.{r.shop_domain}.{r.entity}",
                "seconds": round(float(r.duration_s), 2),
                "records": r.rows_read,
                "api_calls": r.api_calls,
            }
            for r in slowest
        ],
    }


def raw_tables(url: DatabaseUrl) -> list[tuple[str, str, int]]:
    """(schema, table, rows) of every raw entity table (the ones with a payload column)."""
    with connection(url) as conn, conn.cursor() as cur:
        cur.execute(
            """
            select c.table_schema, c.table_name
            from information_schema.columns as c
            join information_schema.tables as t
                on t.table_schema = c.table_schema and t.table_name = c.table_name
            where c.table_schema = any(%s) and c.column_name = 'batch_id'
                and t.table_type = 'BASE TABLE'
                and exists (
                    select 1 from information_schema.columns as p
                    where p.table_schema = c.table_schema and p.table_name = c.table_name
                        and p.column_name = 'payload'
                )
            order by 1, 2
            """,
            (list(RAW_SCHEMAS),),
        )
        names = cur.fetchall()
        counted = []
        for schema, table in names:
            cur.execute(
                sql.SQL("select count(*) from {}.{}").format(
                    sql.Identifier(schema), sql.Identifier(table)
                )
            )
            counted.append((schema, table, cur.fetchone()[0]))
    return counted


# --- the COPY ceiling ---------------------------------------------------------------------------


def copy_ceiling(url: DatabaseUrl, workdir: Path, attempts_count: int = 3) -> dict[str, Any]:
    """COPY the landed payloads (dumped to a file first) into one unindexed table.

    A ceiling is the best the server can do: the COPY runs ``attempts_count`` times into a fresh
    table and the fastest counts (the others are reported: the spread is the machine's noise).
    """
    tables = [t for t in raw_tables(url) if t[2] > 0]
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in RAW_COLUMNS)
    dump = workdir / "raw-payloads.copy"
    records = 0
    with connection(url) as conn, conn.cursor() as cur, dump.open("w") as handle:
        for schema, table, _rows in tables:
            query = sql.SQL("copy (select {} from {}.{}) to stdout").format(
                columns, sql.Identifier(schema), sql.Identifier(table)
            )
            cur.copy_expert(query.as_string(conn), handle)
            records += _rows
    size_mb = dump.stat().st_size / 1e6
    attempts = [_copy_once(url, dump, columns) for _ in range(attempts_count)]
    seconds = min(attempts)
    dump.unlink()
    return {
        "records": records,
        "seconds": round(seconds, 3),
        "records_per_second": round(records / seconds, 1) if seconds else None,
        "payload_mb": round(size_mb, 1),
        "tables": len(tables),
        "attempts_seconds": [round(a, 3) for a in attempts],
    }


def _copy_once(url: DatabaseUrl, dump: Path, columns: sql.Composable) -> float:
    """Seconds to COPY the dump into a new unindexed table (dropped afterwards)."""
    with connection(url) as conn, conn.cursor() as cur:
        cur.execute("create schema if not exists bench_ceiling")
        cur.execute("drop table if exists bench_ceiling.payloads")
        cur.execute(
            """
            create table bench_ceiling.payloads (
                shop_domain  text        not null,
                id           text        not null,
                updated_at   timestamptz not null,
                payload      jsonb       not null,
                extracted_at timestamptz not null default now(),
                batch_id     text        not null
            )
            """
        )
        conn.commit()
        started = time.perf_counter()
        with dump.open() as handle:
            cur.copy_expert(
                sql.SQL("copy bench_ceiling.payloads ({}) from stdin")
                .format(columns)
                .as_string(conn),
                handle,
            )
        conn.commit()
        seconds = time.perf_counter() - started
        cur.execute("drop schema bench_ceiling cascade")
        conn.commit()
    return seconds


# --- dbt ----------------------------------------------------------------------------------------

_NODE_LINE = re.compile(r"\b(\d+) of (\d+) (OK|PASS|ERROR|FAIL|WARN|SKIP)\b")


@dataclass
class DbtPaths:
    target: Path
    logs: Path


def dbt_paths(workdir: Path) -> DbtPaths:
    return DbtPaths(target=workdir / "dbt-target", logs=workdir / "dbt-logs")


def dbt_build(
    url: DatabaseUrl,
    paths: DbtPaths,
    label: str,
    out: Callable[[str], None],
    as_of: str | None = None,
    extra: list[str] | None = None,
    select: list[str] | None = None,
    extra_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """`dbt build` in a child process; wall time, peak RSS and per-node times (run_results).

    ``as_of`` pins the models' clock (HOTROD_AS_OF) to the sandbox's: after the sandbox
    advances a day its records lie "in the future" of the wall clock. ``select`` (selection
    arguments) and ``extra_env`` shape the build (the daily one: :func:`daily_dbt_build`).
    """
    env = dbt_env(url, target_path=paths.target)
    env.update(extra_env or {})
    env["DBT_LOG_PATH"] = str(paths.logs)  # the benchmark keeps its logs apart from artifacts
    dbt = dbt_executable()
    done = [0]
    tail: list[str] = []

    def on_line(line: str) -> None:
        tail.append(line)
        del tail[:-40]
        match = _NODE_LINE.search(line)
        if match:
            done[0] += 1
            count, total, status = match.groups()
            if status in ("ERROR", "FAIL") or done[0] % 25 == 0 or count == total:
                out(f"  {label}: {count}/{total} {line.split('] ', 1)[-1].strip()[:110]}")

    args = [dbt, "build", *(select or []), *(extra or [])]
    if as_of:
        # an environment variable, not `--vars`: a new var value makes dbt parse the whole
        # project again (~6 s at 1M), which no scheduled run pays
        env["HOTROD_AS_OF"] = as_of
    finished = run_measured(args, env, cwd=str(DBT_PROJECT_DIR), on_line=on_line)
    results = _run_results(paths.target / "run_results.json")
    if finished.returncode != 0:
        out(f"  {label}: dbt exited {finished.returncode}; last lines:")
        for line in tail[-12:]:
            out(f"    {line}")
    return {
        "seconds": round(finished.seconds, 2),
        "returncode": finished.returncode,
        "peak_rss_mb_dbt": finished.peak_rss_mb,
        # dbt's own process: its Python work (per node: compile, run, record) is one interpreter
        "cpu_seconds_dbt": finished.cpu_seconds,
        **results,
    }


def daily_dbt_build(
    url: DatabaseUrl,
    paths: DbtPaths,
    out: Callable[[str], None],
    as_of: str | None,
    previous_end: datetime,
) -> dict[str, Any]:
    """The daily job's dbt build (orchestration/defs/daily.py), after a full build that ended at
    ``previous_end`` (a successful run with every test): the same selection (from the manifest the
    full build left in ``paths.target``) and the same data-test watermark as that job's run on an
    ordinary day."""
    from orchestration.defs.daily import (
        code_only_exclusion,
        daily_dbt_selection,
        rows_changed_since,
        watermark_env,
    )

    manifest = json.loads((paths.target / "manifest.json").read_text())
    select = daily_dbt_selection(manifest)
    since = rows_changed_since(_ordinary_day(datetime.now(UTC)), previous_end, previous_end)
    leave_out = code_only_exclusion(url, manifest, since)
    figures = dbt_build(
        url,
        paths,
        "daily dbt build",
        out,
        as_of=as_of,
        select=select,
        extra=leave_out,
        extra_env=watermark_env(since),
    )
    figures["selected"] = len(select[1].split())
    figures["tests_changed_since"] = since.isoformat() if since else None
    figures["code_only_left_out"] = bool(leave_out)
    return figures


def record_release(url: DatabaseUrl, paths: DbtPaths) -> bool:
    """What the daily job does after a build of every view and seed (orchestration/defs/
    release.py): record the release, so the next ordinary day leaves them out."""
    from orchestration.defs.daily import record_release as record

    manifest = json.loads((paths.target / "manifest.json").read_text())
    results = json.loads((paths.target / "run_results.json").read_text())
    return record(url, manifest, results)


def _ordinary_day(now: datetime) -> datetime:
    """``now`` moved off the day the daily run tests every row (the bench measures an ordinary
    day; the weekly full-test run is measured by the full build's tests)."""
    from orchestration.defs.daily import FULL_TESTS_WEEKDAY

    return now + timedelta(days=1) if now.weekday() == FULL_TESTS_WEEKDAY else now


def _run_results(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {
            "statuses": {},
            "model_seconds": {},
            "tests_seconds": None,
            "nodes": 0,
            "failures": [],
        }
    data = json.loads(path.read_text())
    statuses: dict[str, int] = {}
    models: dict[str, float] = {}
    tests = 0.0
    other = 0.0
    failures: list[dict[str, str]] = []
    for result in data.get("results", []):
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
        uid = result["unique_id"]
        if result["status"] in ("error", "fail"):
            message = (result.get("message") or "").strip().splitlines()
            failures.append(
                {"node": uid, "status": result["status"], "message": " ".join(message)[:300]}
            )
        seconds = float(result.get("execution_time") or 0.0)
        if uid.startswith("model."):
            models[uid.split(".", 2)[-1]] = round(seconds, 3)
        elif uid.startswith(("test.", "unit_test.")):
            tests += seconds
        else:
            other += seconds
    return {
        "statuses": statuses,
        "nodes": len(data.get("results", [])),
        "dbt_elapsed_seconds": round(float(data.get("elapsed_time") or 0.0), 2),
        "tests_seconds": round(tests, 2),
        "seeds_snapshots_seconds": round(other, 2),
        "model_seconds": dict(sorted(models.items(), key=lambda kv: -kv[1])),
        "failures": failures,
    }


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="hotrod-bench-"))


# --- extractor only -----------------------------------------------------------------------------


def _backends(watcher: Any, db: DatabaseUrl) -> Callable[[], list[int]]:
    def pids() -> list[int]:
        with watcher.cursor() as cur:
            cur.execute("select pid from pg_stat_activity where datname = %s", (db.database,))
            rows = [row[0] for row in cur.fetchall()]
        watcher.rollback()
        return rows

    return pids


def extractor_only(
    server: DatabaseUrl,
    env: dict[str, str],
    upstream: str,
    workdir: Path,
    prefix: str,
    out: Callable[[str], None],
) -> dict[str, Any]:
    """The extractor against pre-rendered answers (benchmarks/harness/replay.py): one recording
    pass through a proxy into a scratch database, then the timed extraction into an empty one,
    in a process of its own, from a replay server in another."""
    from benchmarks.harness import replay
    from benchmarks.harness.memory import BackendCpu
    from warehouse.bootstrap import bootstrap
    from warehouse.connection import drop_database

    recorded_db = server.with_database(f"{prefix}_rec")
    replay_db = server.with_database(f"{prefix}_rep")
    recording = workdir / "replay.pickle"
    started = time.perf_counter()
    try:
        bootstrap(recorded_db)
        recorder = replay.Recorder(upstream)
        extract(recorded_db, recorder.env(env), progress=False)
        size = recorder.save(recording)
    finally:
        drop_database(recorded_db)
    render_s = time.perf_counter() - started
    out(f"  rendered {len(recorder.answers):,} answers ({size / 1e6:,.1f} MB) in {render_s:,.1f}s")
    served = replay.start_replay(recording)
    try:
        bootstrap(replay_db)
        child_env = served.env(env, upstream)
        child_env = {**os.environ, **child_env, EXTRACT_URL_ENV: replay_db.url}
        lines: list[str] = []
        with connection(server) as watcher, BackendCpu(_backends(watcher, replay_db)) as backends:
            finished = run_measured(
                [sys.executable, "-m", "benchmarks.harness.extract_child"],
                child_env,
                on_line=lines.append,
            )
        if finished.returncode != 0:
            raise RuntimeError("the extractor-only extraction failed:\n" + "\n".join(lines[-20:]))
        figures = json.loads(
            next(x for x in reversed(lines) if x.startswith(EXTRACT_RESULT))[len(EXTRACT_RESULT) :]
        )
        stats = served.stats()
        server_rss = served.peak_rss_mb()
        raw = raw_tables(replay_db)
    finally:
        served.stop()
        recording.unlink(missing_ok=True)
        drop_database(replay_db)
    raw_rows = sum(n for _s, _t, n in raw)
    seconds = figures["seconds"]
    records = figures["records_read"]
    return {
        "seconds": seconds,
        "records_read": records,
        "records_per_second": figures["records_per_second"],
        "raw_rows": raw_rows,
        "raw_rows_per_second": round(raw_rows / seconds, 1) if seconds else None,
        "api_calls": figures["api_calls"],
        "source_seconds": figures.get("source_seconds"),
        "slowest_reads": figures.get("slowest_reads"),
        "client_cpu_seconds": finished.cpu_seconds,
        "cpu_seconds_per_1000_records": (
            round(finished.cpu_seconds / records * 1000, 4) if records else None
        ),
        "client_cpu_share_of_wall": (
            round(finished.cpu_seconds / finished.seconds, 3) if finished.seconds else None
        ),
        "peak_rss_mb": finished.peak_rss_mb,
        # the PostgreSQL side of the same extraction, a lower bound (a backend that lives less
        # than one 0.2 s sample is missed); None on a server /proc cannot see
        "postgres_cpu_seconds": backends.seconds,
        "postgres_cpu_seconds_per_1000_records": (
            round(backends.seconds / records * 1000, 4)
            if backends.seconds is not None and records
            else None
        ),
        "replay_answers": stats["recorded"],
        "replay_answered": stats["answered"],
        "replay_missed": stats["missed"],
        "replay_missed_requests": stats.get("missed_requests", []),
        "replay_server_peak_rss_mb": server_rss,
        "recording_mb": round(size / 1e6, 1),
        "render_seconds": round(render_s, 1),
    }
