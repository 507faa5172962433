"""`hotrod dbt ARGS...` — run dbt against the warehouse in effect."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from warehouse.connection import resolve
from warehouse.settings import REPO_ROOT, DatabaseUrl

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DBT_PROFILES_DIR = REPO_ROOT / "profiles"


def dbt_executable() -> str:
    """The dbt installed beside this Python (the venv's), so no PATH set-up is needed."""
    sibling = os.path.join(os.path.dirname(sys.executable), "dbt")
    return sibling if os.path.exists(sibling) else "dbt"


def dbt_env(url: DatabaseUrl, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a dbt process: PG* from the URL, tracking off, project paths set."""
    env = dict(os.environ if base is None else base)
    env.update(url.libpq_env())
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    env.setdefault("DO_NOT_TRACK", "1")
    env["DBT_PROFILES_DIR"] = str(DBT_PROFILES_DIR)
    env["DBT_PROJECT_DIR"] = str(DBT_PROJECT_DIR)
    return env


def run_dbt(url: DatabaseUrl, args: list[str], check: bool = True) -> subprocess.CompletedProcess:
    dbt = os.path.join(os.path.dirname(sys.executable), "dbt")
    return subprocess.run([dbt, *args], cwd=DBT_PROJECT_DIR, env=dbt_env(url), check=check)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dbt", help="run dbt against the warehouse in effect", add_help=False
    )
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER)
    parser.set_defaults(handler=_dbt)


def _dbt(args: argparse.Namespace) -> int:
    url = resolve()
    return run_dbt(url, args.dbt_args, check=False).returncode
