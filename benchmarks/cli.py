"""`hotrod bench --orders N [--json FILE] [--markdown FILE] [--seed S] [--runs 50]`."""

from __future__ import annotations

import argparse
import json
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
    parser.add_argument("--quiet", action="store_true", help="no extractor progress lines")
    parser.add_argument(
        "--extract-only",
        action="store_true",
        help="stop after the extraction stages (end to end, COPY ceiling, extractor alone)",
    )
    parser.set_defaults(handler=_bench)


def _bench(args: argparse.Namespace) -> int:
    from benchmarks.harness.report import markdown
    from benchmarks.harness.runner import BenchOptions, missing_figures, run_bench

    if args.orders < 1 or args.runs < 1:
        print("hotrod bench: --orders and --runs must be at least 1")
        return 2
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
