"""`hotrod bench --orders N [--json FILE] [--markdown FILE] [--seed S] [--runs 50]
[--extract-only | --realtime [--webhooks 20] [--stream-seconds 300] [--stream-rate 1]]`."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="scale run from an empty warehouse: extraction, dbt builds, view latency (figures)",
    )
    parser.add_argument("--orders", type=int, default=100_000, help="sandbox size in orders")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=50, help="timed runs per view (after warm-up)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs per view first")
    parser.add_argument(
        "--max-seconds-per-view",
        type=float,
        default=120.0,
        help="stop timing a view after this long (the JSON records the runs made)",
    )
    parser.add_argument("--json", type=Path, help="write every figure to this JSON file")
    parser.add_argument("--markdown", type=Path, help="write the results table to this file")
    parser.add_argument("--keep-database", action="store_true", help="do not drop the database")
    parser.add_argument(
        "--quiet", action="store_true", help="no extractor progress or INFO log lines"
    )
    parser.add_argument(
        "--extract-only",
        action="store_true",
        help="stop after the extraction stages (end to end, COPY ceiling, extractor alone)",
    )
    parser.add_argument(
        "--realtime",
        action="store_true",
        help="after the extraction, measure webhook-to-tile through the receiver, dagster dev "
        "and the webhook sensor, with a poller on every contract view (instead of the other "
        "stages)",
    )
    parser.add_argument(
        "--webhooks", type=int, default=20, help="--realtime: single webhooks, one at a time"
    )
    parser.add_argument(
        "--stream-seconds",
        type=float,
        default=300.0,
        help="--realtime: length of the steady stream of webhooks",
    )
    parser.add_argument(
        "--stream-rate", type=float, default=1.0, help="--realtime: webhooks per second"
    )
    parser.set_defaults(handler=_bench)


def _bench(args: argparse.Namespace) -> int:
    import signal
    import sys

    from benchmarks.harness.report import markdown
    from benchmarks.harness.runner import BenchOptions, missing_figures, run_bench

    # stopped by SIGTERM (a background shell ignores SIGINT): the children are stopped and the
    # databases dropped on the way out
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))

    if args.orders < 1 or args.runs < 1:
        print("hotrod bench: --orders and --runs must be at least 1")
        return 2
    if args.realtime and args.extract_only:
        print("hotrod bench: --realtime and --extract-only are separate stages; pick one")
        return 2
    if args.webhooks < 1 or args.stream_seconds <= 0 or args.stream_rate <= 0:
        print("hotrod bench: --webhooks must be at least 1, --stream-seconds and --stream-rate > 0")
        return 2
    if args.quiet:  # the extractors' INFO lines too (their worker processes take this level)
        logging.getLogger().setLevel(logging.WARNING)
    realtime = None
    if args.realtime:
        from benchmarks.harness.realtime import RealtimeOptions

        realtime = RealtimeOptions(
            webhooks=args.webhooks,
            stream_seconds=args.stream_seconds,
            stream_rate=args.stream_rate,
            keep_database=args.keep_database,
        )
    result = run_bench(
        BenchOptions(
            orders=args.orders,
            seed=args.seed,
            runs=args.runs,
            warmup=args.warmup,
            max_seconds_per_view=args.max_seconds_per_view,
            keep_database=args.keep_database,
            progress=not args.quiet,
            extract_only=args.extract_only,
            realtime=realtime,
        )
    )
    table = markdown(result)
    print()
    print(table)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(f"bench: figures written to {args.json}")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(table + "\n")
        print(f"bench: table written to {args.markdown}")
    missing = missing_figures(result)
    if missing:
        print(f"bench: figures missing from the results: {', '.join(missing)}")
        return 1
    return 0
