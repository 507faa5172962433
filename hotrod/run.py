"""`hotrod run` — the main job: warehouse up, sources, every asset through Dagster, the tiles.

The sources are the configured ones, or the demo sandbox when ``HOTROD_SOURCES=sandbox`` (what
``make run`` sets). ``HOTROD_RUN_SKIP_PIPELINE=1`` keeps only "warehouse up + dbt build" (used by
the foundation tests against an external server).
"""

from __future__ import annotations

import argparse
import os
import time

from hotrod.sources import check, sources
from warehouse.bootstrap import bootstrap
from warehouse.connection import resolve
from warehouse.dbt_invocation import run_dbt
from warehouse.settings import MAX_SANDBOX_ORDERS, env_int

DEFAULT_ORDERS = 20_000
DEFAULT_SEED = 42


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="the main job: warehouse, sources, every asset through Dagster, the tiles"
    )
    parser.add_argument(
        "--orders",
        type=int,
        default=env_int("HOTROD_SANDBOX_ORDERS", DEFAULT_ORDERS, 1, MAX_SANDBOX_ORDERS),
        help=f"sandbox size with HOTROD_SOURCES=sandbox (default {DEFAULT_ORDERS:,})",
    )
    parser.add_argument("--seed", type=int, default=env_int("HOTROD_SANDBOX_SEED", DEFAULT_SEED))
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    skip_pipeline = os.environ.get("HOTROD_RUN_SKIP_PIPELINE") == "1"  # no extraction: no sources
    if not skip_pipeline:
        check(os.environ)  # before anything starts: the sources are configured or asked for
    url = resolve()
    bootstrap(url)
    print(f"warehouse: {url}")
    if skip_pipeline:
        return run_dbt(url, ["build"], check=False).returncode

    # Dagster is loaded only by the commands that run it (`hotrod --help` stays quick).
    from orchestration.defs.project import prepare
    from orchestration.pipeline import materialize_everything, run_retention
    from orchestration.tiles import summarize

    started = time.monotonic()
    with sources(args.orders, args.seed):
        print("dbt: parsing the project...")
        prepare(url)
        print("dagster: materializing every asset (run recorded in the Dagster instance)...")
        result = materialize_everything(url)
    _report(
        result,
        f"{result.materialized} materializations in {time.monotonic() - started:.0f}s",
    )
    # The daily retention once, so what the documents promise holds right after a run: no live
    # decision older than 180 days, sync logs kept 90 days, the access audit ingested.
    retention = run_retention(url)
    _report(retention, "retention (decision archive, sync logs, access audit)")
    print()
    summarize(url)
    return 0 if result.success and retention.success else 1


def _report(result, what: str) -> None:
    print(f"dagster: run {result.run_id} {'succeeded' if result.success else 'FAILED'}: {what}")
    for step in result.failed_steps:
        print(f"  failed step: {step}")
    for failed in result.failed_checks:
        print(f"  failed check: {failed}")
