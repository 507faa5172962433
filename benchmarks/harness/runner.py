"""One benchmark run, in order: an empty warehouse, generation, extraction, the COPY ceiling, the
extractor alone (pre-rendered answers), the full build, view latency (and the baseline), then a
day later: advance, extract, the daily job's dbt build. ``extract_only`` stops after the
extractor-only stage; ``realtime`` runs, after the extraction, the webhook-to-tile stage instead
(``benchmarks/harness/realtime.py``).

The database is created for the run and dropped afterwards (``keep_database`` keeps it for a
look); the sandbox files live in a temporary folder that is removed too.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from benchmarks.harness import latency, machine, realtime, sandbox, stages
from benchmarks.harness.memory import PeakSampler
from warehouse.bootstrap import bootstrap
from warehouse.connection import connect, drop_database, resolve

# Every figure the JSON holds (the smoke test checks these paths exist).
FIGURE_PATHS = (
    "machine.nproc",
    "machine.ram_gb",
    "machine.postgres",
    "machine.python",
    "machine.load_average_start",
    "machine.load_average_end",
    "machine.calibration_s.python",
    "machine.calibration_s.postgres",
    "generation.seconds",
    "generation.orders_per_second",
    "generation.peak_rss_mb",
    "extraction.records_per_second",
    "extraction.raw_rows",
    "extraction.peak_rss_mb",
    "extraction.sandbox_server_peak_rss_mb",
    "copy_ceiling.records_per_second",
    "extraction_share_of_copy",
    "extractor_only.records_per_second",
    "extractor_only.cpu_seconds_per_1000_records",
    "extractor_only.peak_rss_mb",
    "extractor_only.replay_missed",
    "extractor_only_share_of_copy",
    "dbt_full_build.seconds",
    "dbt_full_build.model_seconds",
    "dbt_full_build.peak_rss_mb",
    "latency.views",
    "latency.summary",
    "latency.baselines",
    "latency.tile_vs_baseline",
    "latency.peak_rss_mb",
    "incremental.advance.seconds",
    "incremental.extraction.records_per_second",
    "incremental.dbt_build.seconds",
    "incremental.dbt_build.model_seconds",
    "incremental.total_seconds",
    "incremental.peak_rss_mb",
    "goals",
    "memory",
)
# What `hotrod bench --extract-only` measures (the stages up to the extractor alone).
EXTRACT_ONLY_PATHS = tuple(
    p
    for p in FIGURE_PATHS
    if p.split(".")[0] in {"machine", "generation", "extraction", "copy_ceiling", "goals"}
    or p.startswith(("extraction_share", "extractor_only"))
)

# What `hotrod bench --realtime` measures.
REALTIME_PATHS = (
    *(p for p in FIGURE_PATHS if p.startswith("machine.")),
    "generation.seconds",
    "extraction.records_per_second",
    "realtime.setup_build.seconds",
    "realtime.full_build.seconds",
    "realtime.full_build.poller.reads",
    "realtime.full_build.poller.errors",
    "realtime.services.start_seconds",
    "realtime.services.sensor_interval_s",
    "realtime.single.events",
    "realtime.single.visible",
    "realtime.single.p50_s",
    "realtime.single.p95_s",
    "realtime.single.breakdown_median_s",
    "realtime.single.per_event",
    "realtime.single.poller.errors",
    "realtime.stream.events",
    "realtime.stream.visible",
    "realtime.stream.p50_s",
    "realtime.stream.p95_s",
    "realtime.stream.breakdown_median_s",
    "realtime.stream.queue.samples",
    "realtime.stream.queue.max_unfinished_runs",
    "realtime.stream.queue.max_events_not_visible",
    "realtime.stream.queue.bounded",
    "realtime.stream.poller.errors",
    "realtime.runs.count",
    "realtime.checks_runs.count",
    "realtime.poller.reads",
    "realtime.poller.errors",
    "goals",
    "memory",
)


@dataclass
class BenchOptions:
    orders: int
    seed: int = 42
    runs: int = 50
    warmup: int = 5
    max_seconds_per_view: float = 120.0
    keep_database: bool = False
    progress: bool = True
    extract_only: bool = False  # stop after the extractor-only stage
    realtime: realtime.RealtimeOptions | None = None  # the webhook-to-tile stage instead


def _say(message: str) -> None:
    print(message, flush=True)


class _StopAfterExtractionError(Exception):
    """Raised after the extractor-only stage when that is all the run measures."""


def run_bench(options: BenchOptions, out: Callable[[str], None] = _say) -> dict[str, Any]:
    """Run every stage and return the figures (see FIGURE_PATHS)."""
    # The server's maintenance database: the configured one may not exist yet (a fresh
    # checkout that never ran `hotrod db up`), and the benchmark needs only the server.
    server = resolve().with_database("postgres")
    url = server.with_database(f"hotrod_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}")
    work = stages.workdir()
    started = time.perf_counter()
    result: dict[str, Any] = {
        "benchmark": "hotrod_bench",
        "orders": options.orders,
        "seed": options.seed,
        "runs": options.runs,
        "warmup": options.warmup,
        "database": url.database,
        "dbt_as_of": "the sandbox clock (HOTROD_AS_OF) for both builds",
        "extract_only": options.extract_only,
        "realtime_only": options.realtime is not None,
        "started_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    result["machine"] = machine.describe(server)
    m = result["machine"]
    out(
        f"bench: {options.orders:,} orders, seed {options.seed} on {m['nproc']} CPUs, "
        f"{m['ram_gb']} GB, Postgres {m['postgres']}, Python {m['python']} "
        f"(load {m['load_average_start']})"
    )
    out(f"bench: empty database {url.database} on {m['database_host']}; work folder {work}")
    watcher = connect(server, autocommit=True)
    served: sandbox.ServedSandbox | None = None

    def backend_pids() -> list[int]:
        with watcher.cursor() as cur:
            cur.execute("select pid from pg_stat_activity where datname = %s", (url.database,))
            return [row[0] for row in cur.fetchall()]

    try:
        bootstrap(url)
        with PeakSampler(backend_pids) as sampler:
            now = sandbox.clock_now(realtime.CLOCK_DAYS_BACK if options.realtime else 0)
            # 1. generation ----------------------------------------------------------------
            out(f"[1/6] sandbox generation: {options.orders:,} orders (clock {now})")
            with sampler.stage("generation") as peak:
                gen = sandbox.generate(options.orders, options.seed, now, work, _indent(out))
            if gen.returncode != 0:
                raise RuntimeError(f"sandbox generation failed (exit {gen.returncode})")
            result["generation"] = {
                "seconds": round(gen.seconds, 2),
                "orders_per_second": round(options.orders / gen.seconds, 1),
                "peak_rss_mb": max(gen.peak_rss_mb, peak["peak_rss_mb"] or 0),
                "sqlite_mb": sandbox.sandbox_file_mb(work),
            }
            out(f"  {gen.seconds:,.1f}s, {options.orders / gen.seconds:,.0f} orders/s")

            # 2. extraction ----------------------------------------------------------------
            out("[2/6] extraction through the HTTP sandbox (bulk first load)")
            served = sandbox.serve(options.orders, options.seed, now, work)
            out(f"  sandbox serving at {served.url}")
            with sampler.stage("extraction") as peak:
                ext = stages.extract(url, served.env, options.progress)
            raw = stages.raw_tables(url)
            raw_rows = sum(r[2] for r in raw)
            result["extraction"] = {
                **ext,
                "raw_rows": raw_rows,
                "raw_rows_per_second": round(raw_rows / ext["seconds"], 1),
                "raw_tables": {f"{s}.{t}": n for s, t, n in raw},
                **peak,
                "sandbox_server_peak_rss_mb": _server_rss(served),
            }
            out(
                f"  {ext['records_read']:,} records in {ext['seconds']:,.1f}s "
                f"({ext['records_per_second']:,.0f}/s), {raw_rows:,} raw rows"
            )

            if options.realtime is not None:
                result["realtime"] = realtime.run_stage(
                    url, served, work, now, options.realtime, sampler, out
                )
                result["memory"] = sampler.peaks
                raise _StopAfterExtractionError

            # 3. COPY ceiling --------------------------------------------------------------
            out("[3/6] ceiling: COPY of the same payloads into an unindexed table")
            with sampler.stage("copy_ceiling") as peak:
                ceiling = stages.copy_ceiling(url, work)
            result["copy_ceiling"] = {**ceiling, **peak}
            share = _share(result["extraction"]["raw_rows_per_second"], ceiling)
            result["extraction_share_of_copy"] = share
            out(
                f"  {ceiling['records']:,} records in {ceiling['seconds']:,.2f}s "
                f"({ceiling['records_per_second']:,.0f}/s); extraction = "
                f"{(share or 0) * 100:.1f}% of COPY"
            )

            # 3b. the extractor alone ------------------------------------------------------
            out("[3b] extractor only: the same extraction from pre-rendered answers in memory")
            with sampler.stage("extractor_only") as peak:
                alone = stages.extractor_only(
                    server, served.env, served.url, work, url.database, _indent(out)
                )
            result["extractor_only"] = {**alone, "harness": peak}
            share = _share(alone["raw_rows_per_second"], ceiling)
            result["extractor_only_share_of_copy"] = share
            out(
                f"  {alone['records_read']:,} records in {alone['seconds']:,.1f}s "
                f"({alone['records_per_second']:,.0f}/s), {alone['raw_rows']:,} raw rows = "
                f"{(share or 0) * 100:.1f}% of COPY; client CPU "
                f"{alone['cpu_seconds_per_1000_records']} s per 1,000 records, peak "
                f"{alone['peak_rss_mb']:,.0f} MB; {alone['replay_missed']} answers missed"
            )
            if options.extract_only:
                result["memory"] = sampler.peaks
                raise _StopAfterExtractionError

            # 4. full dbt build ------------------------------------------------------------
            out("[4/6] full dbt build")
            paths = stages.dbt_paths(work)
            with sampler.stage("dbt_full_build") as peak:
                full = stages.dbt_build(url, paths, "dbt build", out, as_of=now)
            full_end = datetime.now(UTC)  # the daily run's data tests read what changed since
            # as the daily job after a build of every view and seed: the release is recorded
            full["release_recorded"] = stages.record_release(url, paths)
            result["dbt_full_build"] = {**full, **peak}
            out(f"  {full['seconds']:,.1f}s, statuses {full['statuses']}")
            _slowest(full, out)

            # 5. view latency --------------------------------------------------------------
            shop = served.shops[0] if served.shops else ""
            out(
                f"[5/6] latency of the 48 views as operator (claim {shop}), "
                f"{options.runs} runs after {options.warmup} warm-up"
            )
            with sampler.stage("latency") as peak:
                views, role = latency.measure_views(
                    url, shop, options.runs, options.warmup, options.max_seconds_per_view, out
                )
                baselines = latency.measure_baselines(
                    url, shop, options.runs, options.warmup, options.max_seconds_per_view
                )
            result["latency"] = {
                "shop": shop,
                "login_role": role,
                "views": views,
                "summary": latency.summarize(views),
                "baselines": baselines,
                "tile_vs_baseline": _versus(views, baselines),
                **peak,
            }
            for name, figures in baselines.items():
                out(f"  {name:38} p95 {figures.get('p95_ms', figures.get('error'))} ms")

            # 6. a day later ---------------------------------------------------------------
            out("[6/6] incremental: sandbox advances one day, extract, the daily job's dbt build")
            with sampler.stage("incremental") as peak:
                t0 = time.perf_counter()
                advanced = served.advance(1)
                advance_s = time.perf_counter() - t0
                inc_ext = stages.extract(url, served.env, options.progress)
                inc_dbt = stages.daily_dbt_build(
                    url, paths, out, as_of=advanced.get("now"), previous_end=full_end
                )
            result["incremental"] = {
                "advance": {
                    "seconds": round(advance_s, 2),
                    "changes": _count(advanced.get("changes")),
                    "clock": advanced.get("now"),
                },
                "extraction": inc_ext,
                "dbt_build": inc_dbt,
                "total_seconds": round(inc_ext["seconds"] + inc_dbt["seconds"], 2),
                "total_with_advance_seconds": round(
                    advance_s + inc_ext["seconds"] + inc_dbt["seconds"], 2
                ),
                **peak,
            }
            out(
                f"  advance {advance_s:,.1f}s, extract {inc_ext['records_read']:,} records in "
                f"{inc_ext['seconds']:,.1f}s, dbt build {inc_dbt['seconds']:,.1f}s"
            )
            _slowest(inc_dbt, out)
            result["memory"] = sampler.peaks
    except _StopAfterExtractionError:
        pass  # --extract-only: the later stages are not run
    finally:
        if served is not None:
            served.stop()
        watcher.close()
        if options.keep_database:
            out(f"bench: kept database {url.database}")
        else:
            drop_database(url)
        shutil.rmtree(work, ignore_errors=True)
    result["machine"]["load_average_end"] = machine.load_average()
    result["finished_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    result["goals"] = goals(result)
    return result


def goals(result: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets next to the measured figures."""
    if result.get("realtime_only"):
        return realtime_goals(result)
    share = result["extraction_share_of_copy"]
    alone = result.get("extractor_only_share_of_copy")
    extraction = {
        "extraction_ge_30pct_of_copy": {
            "measured": share,
            "met": share is not None and share >= 0.30,
        },
        "extractor_only_ge_50pct_of_copy": {
            "measured": alone,
            "met": alone is not None and alone >= 0.50,
        },
    }
    if "latency" not in result:  # --extract-only
        return extraction
    summary = result["latency"]["summary"]
    tile = summary["tile"]["worst_p95_ms"]
    every = summary["all_views_worst_p95_ms"]
    inc = result["incremental"]["total_seconds"]
    full = result["dbt_full_build"]["seconds"]
    return {
        "tile_p95_le_5ms": {"measured": tile, "met": tile is not None and tile <= 5},
        "every_view_p95_le_100ms": {"measured": every, "met": every is not None and every <= 100},
        "incremental_daily_run_le_60s": {"measured": inc, "met": inc <= 60},
        "full_build_le_600s": {"measured": full, "met": full <= 600},
        **extraction,
    }


def realtime_goals(result: dict[str, Any]) -> dict[str, Any]:
    """Issue 17's real-time targets (stated for 1M orders) next to this run's figures."""
    rt = result.get("realtime") or {}
    single = (rt.get("single") or {}).get("p95_s")
    streamed = (rt.get("stream") or {}).get("p95_s")
    errors = (rt.get("poller") or {}).get("errors")
    bounded = ((rt.get("stream") or {}).get("queue") or {}).get("bounded")
    complete = all((rt.get(k) or {}).get("not_visible", 1) == 0 for k in ("single", "stream"))
    return {
        "webhook_to_tile_single_p95_le_30s": {
            "measured": single,
            "met": single is not None and single <= 30 and complete,
        },
        "webhook_to_tile_stream_p95_le_60s": {
            "measured": streamed,
            "met": streamed is not None and streamed <= 60 and complete,
        },
        "stream_queue_bounded": {"measured": bounded, "met": bool(bounded)},
        "zero_contract_view_errors": {"measured": errors, "met": errors == 0},
    }


def _versus(views: dict[str, Any], baselines: dict[str, Any]) -> dict[str, Any]:
    pairs: dict[str, Any] = {}
    for name, base in baselines.items():
        tile = views.get(base["compared_with"], {})
        if "p95_ms" in tile and "p95_ms" in base:
            pairs[base["compared_with"]] = {
                "tile_p95_ms": tile["p95_ms"],
                "baseline": name,
                "baseline_p95_ms": base["p95_ms"],
                "speedup": round(base["p95_ms"] / tile["p95_ms"], 1) if tile["p95_ms"] else None,
            }
    return pairs


def _share(rows_per_second: float | None, ceiling: dict[str, Any]) -> float | None:
    """Rows/s as a share of the COPY ceiling's rows/s (None when either is missing)."""
    if not rows_per_second or not ceiling["records_per_second"]:
        return None
    return round(rows_per_second / ceiling["records_per_second"], 4)


def _server_rss(served: sandbox.ServedSandbox) -> float | None:
    from benchmarks.harness.memory import peak_rss_mb, tree_rss_mb

    peak = peak_rss_mb(served.process.pid)
    return peak if peak is not None else round(tree_rss_mb(served.process.pid), 1)


def _count(value: Any) -> int | None:
    if isinstance(value, list):
        return len(value)
    if isinstance(value, int):
        return value
    return None


def _slowest(build: dict[str, Any], out: Callable[[str], None], n: int = 8) -> None:
    for failure in build.get("failures", []):
        out(f"  {failure['status']}: {failure['node']}: {failure['message'][:160]}")
    models = list(build.get("model_seconds", {}).items())[:n]
    if models:
        out("  slowest models: " + ", ".join(f"{k.split('.')[-1]} {v:.1f}s" for k, v in models))


def _indent(out: Callable[[str], None]) -> Callable[[str], None]:
    return lambda line: out(f"  {line}") if line.strip() else None


def missing_figures(result: dict[str, Any]) -> list[str]:
    """FIGURE_PATHS (EXTRACT_ONLY_PATHS for --extract-only, REALTIME_PATHS for --realtime)
    absent from ``result`` (an empty list when the JSON is complete)."""
    missing = []
    paths = FIGURE_PATHS
    if result.get("extract_only"):
        paths = EXTRACT_ONLY_PATHS
    if result.get("realtime_only"):
        paths = REALTIME_PATHS
    for path in paths:
        node: Any = result
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                missing.append(path)
                break
            node = node[part]
    return missing


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use `hotrod bench`")
