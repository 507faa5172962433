"""`hotrod dbt ARGS...` — run dbt against the warehouse in effect."""

from __future__ import annotations

import argparse

from warehouse.connection import connect, resolve
from warehouse.dbt_invocation import run_dbt


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dbt", help="run dbt against the warehouse in effect", add_help=False
    )
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER)
    parser.set_defaults(handler=_dbt)


# dbt commands that open a database connection: the warehouse is probed first, so that an
# unreachable one is one line naming HOTROD_DATABASE_URL instead of dbt's multi-line report.
CONNECTING = {
    "build",
    "run",
    "test",
    "seed",
    "snapshot",
    "source",
    "run-operation",
    "show",
    "retry",
}


def _dbt(args: argparse.Namespace) -> int:
    url = resolve()
    if args.dbt_args and args.dbt_args[0] in CONNECTING:
        connect(url).close()
    return run_dbt(url, args.dbt_args, check=False).returncode
