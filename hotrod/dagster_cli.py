"""`hotrod dagster ...` — Dagster on the warehouse in effect, with Postgres run storage.

``hotrod dagster dev`` writes DAGSTER_HOME (default HOTROD_HOME/dagster) with a dagster.yaml on
the warehouse server, prepares the dbt manifest, starts the demo sandbox when
``HOTROD_SOURCES=sandbox`` (one server for every run) and runs ``dagster dev`` with the sources'
settings in its environment until interrupted.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from hotrod.sources import check, sources
from warehouse.bootstrap import bootstrap
from warehouse.connection import resolve
from warehouse.settings import MAX_SANDBOX_ORDERS, env_int, patched_environ

SANDBOX_ORDERS_DEFAULT = 2000


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("dagster", help="Dagster on the warehouse (Postgres storage)")
    sub = parser.add_subparsers(dest="dagster_command", required=True, metavar="SUBCOMMAND")
    dev = sub.add_parser("dev", help="dagster dev with storage in the warehouse")
    dev.add_argument("--port", type=int, default=3000)
    dev.add_argument("--home", type=Path, default=None, help="DAGSTER_HOME (.hotrod/dagster)")
    orders = env_int("HOTROD_SANDBOX_ORDERS", SANDBOX_ORDERS_DEFAULT, 1, MAX_SANDBOX_ORDERS)
    dev.add_argument("--orders", type=int, default=orders, help="sandbox size (HOTROD_SOURCES)")
    dev.add_argument("--seed", type=int, default=env_int("HOTROD_SANDBOX_SEED", 42))
    dev.set_defaults(handler=_dev)
    env = sub.add_parser("env", help="print the DAGSTER_HOME export for other dagster commands")
    env.add_argument("--home", type=Path, default=None)
    env.set_defaults(handler=_env)


def _prepare(home: Path | None) -> dict[str, str]:
    from orchestration.instance import prepare_home  # Dagster: loaded when a command runs it

    url = resolve()
    bootstrap(url)
    _home, env = prepare_home(home, url)
    return env


def _env(args: argparse.Namespace) -> int:
    env = _prepare(args.home)
    print(f"export DAGSTER_HOME={env['DAGSTER_HOME']}")
    return 0


def _dev(args: argparse.Namespace) -> int:
    from orchestration.defs.project import prepare

    # the UI also starts with no source configured (extraction assets then fail, saying why)
    check(os.environ, require_configured=False)
    env = _prepare(args.home)
    prepare(resolve())
    dagster = os.path.join(os.path.dirname(sys.executable), "dagster")
    cmd = [dagster, "dev", "-m", "orchestration.definitions", "-p", str(args.port)]
    with sources(args.orders, args.seed, require_configured=False), patched_environ(env):
        print(f"dagster: DAGSTER_HOME={env['DAGSTER_HOME']}, UI on http://127.0.0.1:{args.port}")
        # cwd=DAGSTER_HOME: its dagster.yaml is the one in effect (no "found a dagster.yaml in
        # the current folder" warning from the repo root copy)
        child = subprocess.Popen(cmd, env=dict(os.environ), cwd=env["DAGSTER_HOME"])
        forward = lambda signum, _frame: child.send_signal(signum)  # noqa: E731
        signal.signal(signal.SIGTERM, forward)
        try:
            return child.wait()
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)
            return child.wait()
