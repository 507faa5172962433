"""`hotrod dbt ARGS...` — run dbt against the warehouse in effect."""

from __future__ import annotations

import argparse

from warehouse.connection import resolve
from warehouse.dbt_invocation import run_dbt


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dbt", help="run dbt against the warehouse in effect", add_help=False
    )
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER)
    parser.set_defaults(handler=_dbt)


def _dbt(args: argparse.Namespace) -> int:
    url = resolve()
    return run_dbt(url, args.dbt_args, check=False).returncode
