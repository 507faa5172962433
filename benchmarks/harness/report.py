"""The figures of one run as a markdown section (what docs/benchmarks.md shows)."""

from __future__ import annotations

from typing import Any

from benchmarks.harness.latency import GROUPS


def _n(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _mem(section: dict[str, Any]) -> str:
    rss = section.get("peak_rss_mb")
    pg = section.get("postgres_backends_pss_mb")
    text = f"{_n(rss, 0)} MB"
    if pg is not None:
        text += f" (+ Postgres backends {_n(pg, 0)} MB Pss)"
    return text


def markdown(result: dict[str, Any]) -> str:
    if result.get("realtime_only"):
        return realtime_markdown(result)
    m = result["machine"]
    gen, ext, ceil = result["generation"], result["extraction"], result["copy_ceiling"]
    goals = result["goals"]

    def goal(key: str) -> str:
        return "met" if goals[key]["met"] else "**not met**"

    lines = [
        f"### {result['orders']:,} orders (seed {result['seed']}, {result['started_at']})",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['ram_gb']} GB RAM, "
        f"PostgreSQL {m['postgres']} ({m['database_host']}), Python {m['python']}, "
        f"dbt {m.get('dbt') or '?'}. Load average at start {m['load_average_start']}, "
        f"at end {m['load_average_end']}.{_calibration(m)}",
        "",
        "| stage | figure | peak memory |",
        "|---|---|---|",
        f"| sandbox generation | {_n(gen['seconds'])} s, {_n(gen['orders_per_second'], 0)} "
        f"orders/s, {_n(gen['sqlite_mb'])} MB SQLite | {_n(gen['peak_rss_mb'], 0)} MB |",
        f"| extraction (HTTP sandbox → raw) | {_n(ext['records_read'])} records in "
        f"{_n(ext['seconds'])} s = {_n(ext['records_per_second'], 0)} records/s; "
        f"{_n(ext['raw_rows'])} raw rows = {_n(ext['raw_rows_per_second'], 0)} rows/s "
        f"| {_mem(ext)}; sandbox server {_n(ext['sandbox_server_peak_rss_mb'], 0)} MB |",
        f"| ceiling: COPY into an unindexed table | {_n(ceil['records'])} rows in "
        f"{_n(ceil['seconds'], 2)} s = {_n(ceil['records_per_second'], 0)} rows/s "
        f"({_n(ceil['payload_mb'])} MB; best of {len(ceil.get('attempts_seconds', [1]))}: "
        f"{', '.join(_n(x, 2) for x in ceil.get('attempts_seconds', []))} s) | {_mem(ceil)} |",
        f"| extraction as share of COPY | {_n((result['extraction_share_of_copy'] or 0) * 100)}% "
        f"(goal ≥ 30%: {goal('extraction_ge_30pct_of_copy')}) | |",
        *_extractor_only(result, goal),
    ]
    if "latency" not in result:  # --extract-only
        return "\n".join([*lines, ""])
    full, inc, lat = result["dbt_full_build"], result["incremental"], result["latency"]
    s = lat["summary"]
    lines += [
        f"| full `dbt build` | {_n(full['seconds'])} s ({full['nodes']} nodes, "
        f"tests {_n(full['tests_seconds'])} s; {full['statuses']}) (goal ≤ 600 s: "
        f"{goal('full_build_le_600s')}) | {_mem(full)}; dbt {_n(full['peak_rss_mb_dbt'], 0)} MB |",
        f"| daily run: advance one day | {_n(inc['advance']['seconds'])} s "
        f"({_n(inc['advance']['changes'])} changes) | |",
        f"| daily run: incremental extraction | {_n(inc['extraction']['records_read'])} "
        f"records in {_n(inc['extraction']['seconds'])} s{_spans(inc['extraction'])} | |",
        f"| daily run: `dbt build` | {_n(inc['dbt_build']['seconds'])} s "
        f"({inc['dbt_build']['statuses']}; dbt's own process "
        f"{_n(inc['dbt_build'].get('cpu_seconds_dbt'))} s CPU) | {_mem(inc)} |",
        f"| daily run: extract + build | {_n(inc['total_seconds'])} s (goal ≤ 60 s: "
        f"{goal('incremental_daily_run_le_60s')}) | |",
    ]
    for group in GROUPS:
        g = s[group]
        lines.append(
            f"| views: {group} ({g['answered']}/{g['views']}) | worst p95 "
            f"{_n(g['worst_p95_ms'], 2)} ms, median p50 {_n(g['median_p50_ms'], 2)} ms; over "
            f"{_n(g['p95_goal_ms'], 0)} ms: {', '.join(g['over_goal']) or 'none'} | |"
        )
    lines.append(
        f"| five headline tiles together | p95 sum {_n(s['five_tiles_p95_sum_ms'], 2)} ms "
        f"(tile goal ≤ 5 ms each: {goal('tile_p95_le_5ms')}; every view ≤ 100 ms: "
        f"{goal('every_view_p95_le_100ms')}) | {_mem(lat)} |"
    )
    for tile, pair in lat["tile_vs_baseline"].items():
        lines.append(
            f"| baseline: {pair['baseline']} (on the fly over staging) | p95 "
            f"{_n(pair['baseline_p95_ms'], 2)} ms vs {tile} {_n(pair['tile_p95_ms'], 2)} ms "
            f"= {_n(pair['speedup'])}× | |"
        )
    lines += ["", "Per-view latency (ms, as `operator` with one shop claimed):", ""]
    lines += ["| view | group | rows | p50 | p95 |", "|---|---|---|---|---|"]
    for name, v in lat["views"].items():
        if "p95_ms" in v:
            lines.append(
                f"| {name} | {v['group']} | {v['rows']} | {_n(v['p50_ms'], 2)} | "
                f"{_n(v['p95_ms'], 2)} |"
            )
        else:
            lines.append(f"| {name} | {v['group']} | - | {v.get('error')} | |")
    lines += ["", "Slowest models in the full build (s):", ""]
    top = list(full["model_seconds"].items())[:15]
    lines.append(", ".join(f"`{k.split('.')[-1]}` {v:.1f}" for k, v in top) or "-")
    lines.append("")
    return "\n".join(lines)


def _extractor_only(result: dict[str, Any], goal: Any) -> list[str]:
    alone = result.get("extractor_only")
    if not alone:
        return []
    share = (result.get("extractor_only_share_of_copy") or 0) * 100
    return [
        f"| extractor only (pre-rendered answers from memory → raw) | "
        f"{_n(alone['records_read'])} records in {_n(alone['seconds'])} s = "
        f"{_n(alone['records_per_second'], 0)} records/s; {_n(alone['raw_rows'])} raw rows = "
        f"{_n(alone['raw_rows_per_second'], 0)} rows/s; client CPU "
        f"{_n(alone['cpu_seconds_per_1000_records'], 3)} s per 1,000 records "
        f"({_n(alone['client_cpu_seconds'])} s; PostgreSQL "
        f"{_n(alone.get('postgres_cpu_seconds_per_1000_records'), 3)} s per 1,000; "
        f"{alone['replay_missed']} answers missed) "
        f"| {_n(alone['peak_rss_mb'], 0)} MB (client); replay server "
        f"{_n(alone['replay_server_peak_rss_mb'], 0)} MB |",
        f"| extractor only as share of COPY | {_n(share)}% (goal ≥ 50%: "
        f"{goal('extractor_only_ge_50pct_of_copy')}){_spans(alone)} | |",
    ]


def _spans(figures: dict[str, Any]) -> str:
    """Each source's span in an extraction (``stages.timeline``), when the run recorded them."""
    spans = figures.get("source_seconds")
    if not spans:
        return ""
    return "; by source " + ", ".join(f"{k} {_n(v)} s" for k, v in spans.items())


def realtime_markdown(result: dict[str, Any]) -> str:
    """`hotrod bench --realtime`: webhook to tile, single and under a stream, and the poller."""
    m, rt, goals = result["machine"], result.get("realtime") or {}, result["goals"]
    lines = [
        f"### Real time, {result['orders']:,} orders (seed {result['seed']}, "
        f"{result['started_at']})",
        "",
        f"Machine: {m['nproc']} CPUs, load average at start {m['load_average_start']}, at end "
        f"{m['load_average_end']}. Sensor interval "
        f"{(rt.get('services') or {}).get('sensor_interval_s')} s.",
        "",
        "| figure | single webhooks | stream |",
        "|---|---|---|",
    ]
    single, stream = rt.get("single") or {}, rt.get("stream") or {}

    def both(label: str, get: Any) -> None:
        lines.append(f"| {label} | {get(single)} | {get(stream)} |")

    both("events (visible)", lambda x: f"{_n(x.get('events'))} ({_n(x.get('visible'))})")
    both(
        "webhook to tile p50 / p95 / max (s)",
        lambda x: " / ".join(_n(x.get(k), 1) for k in ("p50_s", "p95_s", "max_s")),
    )
    for key, label in (
        ("receiver_s", "receiver (POST to 200), median s"),
        ("sensor_pickup_s", "landed to run created (sensor), median s"),
        ("run_start_s", "run created to started (launch), median s"),
        ("step_start_s", "run started to its dbt step started, median s"),
        ("step_to_visible_s", "dbt step started to tile visible, median s"),
        ("run_to_visible_s", "run started to tile visible, median s"),
        ("run_seconds", "whole run (models; tests run after, in the checks job), median s"),
    ):
        both(label, lambda x, k=key: _n((x.get("breakdown_median_s") or {}).get(k), 2))
    both("runs", lambda x: _n(x.get("runs")))
    both(
        "contract-view errors (poller reads)",
        lambda x: (
            f"{_n((x.get('poller') or {}).get('errors'))} "
            f"({_n((x.get('poller') or {}).get('reads'))})"
        ),
    )
    q = stream.get("queue") or {}
    cr = rt.get("checks_runs") or {}
    full = rt.get("full_build") or {}
    fp = full.get("poller") or {}
    lines += [
        "",
        f"Stream queue: at most {_n(q.get('max_unfinished_runs'))} run(s) unfinished, "
        f"{_n(q.get('max_runs_queued'))} queued; events not yet visible peaked at "
        f"{_n(q.get('events_not_visible_peak_first_half'))} in the first half of the stream and "
        f"{_n(q.get('events_not_visible_peak_second_half'))} in the second "
        f"(bounded: {q.get('bounded')}).",
        "",
        f"Checks runs (the real-time job's data tests, after its runs, not waited for): "
        f"{_n(cr.get('count'))} ({cr.get('statuses')}), median {_n(cr.get('median_seconds'))} s; "
        f"at most {_n(q.get('max_checks_runs_unfinished'))} unfinished during the stream.",
        "",
        f"Full `dbt build` under the poller: {_n(full.get('seconds'))} s ({full.get('statuses')}); "
        f"{_n(fp.get('reads'))} reads of the {_n(fp.get('views'))} contract views, "
        f"{_n(fp.get('errors'))} errors, slowest read {_n(fp.get('max_read_ms'))} ms.",
        "",
        "Goals (stated for 1M orders): "
        + "; ".join(
            f"{k} {'met' if v['met'] else 'not met'} ({v['measured']})" for k, v in goals.items()
        )
        + ".",
        "",
    ]
    return "\n".join(lines)


def _calibration(m: dict[str, Any]) -> str:
    """The machine's calibration (a fixed workload's seconds), when the run measured it."""
    cal = m.get("calibration_s")
    if not cal:
        return ""
    return (
        f" Calibration (fixed workloads, best of 3, lower is faster): Python {cal['python']} s, "
        f"PostgreSQL {cal['postgres']} s."
    )
