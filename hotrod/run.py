"""`hotrod run` — the main job: warehouse up, sandbox up, every asset through Dagster, tiles.

``HOTROD_RUN_SKIP_PIPELINE=1`` keeps only "warehouse up + dbt build" (used by the foundation
tests against an external server).
"""

from __future__ import annotations

import argparse
import os
import time

from hotrod.dbt_cli import run_dbt
from warehouse.bootstrap import bootstrap
from warehouse.connection import resolve

DEFAULT_ORDERS = 20_000
DEFAULT_SEED = 42


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw.isdigit() else default


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="the main job: warehouse, sandbox, every asset through Dagster, the tiles"
    )
    parser.add_argument(
        "--orders",
        type=int,
        default=_env_int("HOTROD_SANDBOX_ORDERS", DEFAULT_ORDERS),
        help=f"sandbox size when no SHOPIFY_* source is configured (default {DEFAULT_ORDERS:,})",
    )
    parser.add_argument("--seed", type=int, default=_env_int("HOTROD_SANDBOX_SEED", DEFAULT_SEED))
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    url = resolve()
    bootstrap(url)
    print(f"warehouse: {url}")
    if os.environ.get("HOTROD_RUN_SKIP_PIPELINE") == "1":
        return run_dbt(url, ["build"], check=False).returncode

    from orchestration.pipeline import materialize_everything, sandbox_if_unconfigured
    from orchestration.tiles import summarize

    started = time.monotonic()
    with sandbox_if_unconfigured(args.orders, args.seed):
        print("dagster: materializing every asset (run recorded in the Dagster instance)...")
        result = materialize_everything(url)
    print(
        f"dagster: run {result.run_id} {'succeeded' if result.success else 'FAILED'}: "
        f"{result.materialized} materializations in {time.monotonic() - started:.0f}s"
    )
    for step in result.failed_steps:
        print(f"  failed step: {step}")
    for check in result.failed_checks:
        print(f"  failed check: {check}")
    print()
    summarize(url)
    return 0 if result.success else 1
