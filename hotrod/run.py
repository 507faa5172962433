"""`hotrod run` — the main job: warehouse up, then build everything."""

from __future__ import annotations

import argparse

from hotrod.dbt_cli import run_dbt
from warehouse.bootstrap import bootstrap
from warehouse.connection import resolve


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="the main job: bring up the warehouse and build")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    url = resolve()
    bootstrap(url)
    print(f"warehouse: {url}")
    return run_dbt(url, ["build"], check=False).returncode
