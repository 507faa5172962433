"""How dbt is invoked: the project and profiles folders and the environment every dbt process
runs with. The one owner: the CLI, Dagster's resources and checks, benchmarks and tests use it.

The profile (profiles/profiles.yml) reads its connection from PG* variables, set here from the
warehouse URL in effect. dbt's partial parsing is only reused when the connection it was parsed
with matches the run's (the "profile has changed" re-parse), so a parse meant to be reused must
run in :func:`dbt_env` of the same URL as the runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from warehouse.settings import REPO_ROOT, DatabaseUrl, patched_environ

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DBT_PROFILES_DIR = REPO_ROOT / "profiles"
# libpq variables a stale value of which would override the URL's (the URL may have none).
_URL_ONLY = ("PGPASSWORD", "PGSSLMODE")
TRACKING_OFF = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
# dbt's file log (logs/dbt.log) at info, not dbt's default debug: every statement of every node
# written out cost a tenth of dbt's own CPU in a daily build (~700 nodes, ~35 s of one core).
# Errors and node results are still there; DBT_LOG_LEVEL_FILE=debug in the environment wins.
FILE_LOG_LEVEL = "info"


BIN_DIR = os.path.dirname(sys.executable)


def dbt_executable() -> str:
    """The dbt installed beside this Python (the venv's), so no PATH set-up is needed."""
    sibling = os.path.join(BIN_DIR, "dbt")
    return sibling if os.path.exists(sibling) else "dbt"


def _path_with_bin(path: str | None) -> str:
    """PATH with this Python's bin folder first (dagster-dbt looks dbt up on PATH)."""
    parts = [p for p in (path or "").split(os.pathsep) if p]
    return os.pathsep.join([BIN_DIR, *[p for p in parts if p != BIN_DIR]])


def dbt_settings(
    url: DatabaseUrl | None,
    target_path: Path | str | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The variables dbt runs with: PG* from the URL (none without one), project and profiles
    folders, tracking off, the file log's level (the one ``environ``, default os.environ, sets
    wins), and (when given) DBT_TARGET_PATH/DBT_LOG_PATH."""
    environ = os.environ if environ is None else environ
    values = {
        **(url.libpq_env() if url is not None else {}),
        **TRACKING_OFF,
        "DBT_PROFILES_DIR": str(DBT_PROFILES_DIR),
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
        "DBT_LOG_LEVEL_FILE": environ.get("DBT_LOG_LEVEL_FILE") or FILE_LOG_LEVEL,
    }
    if target_path is not None:
        values["DBT_TARGET_PATH"] = str(target_path)
        values["DBT_LOG_PATH"] = str(target_path)
    return values


def dbt_env(
    url: DatabaseUrl,
    base: Mapping[str, str] | None = None,
    target_path: Path | str | None = None,
) -> dict[str, str]:
    """A whole environment for a dbt process: ``base`` (default os.environ) with the libpq
    variables the URL does not set removed, then :func:`dbt_settings`."""
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if k not in _URL_ONLY}
    env.update(dbt_settings(url, target_path, source))
    env["PATH"] = _path_with_bin(env.get("PATH"))
    return env


def dbt_environment(url: DatabaseUrl | None, target_path: Path | str | None = None):
    """os.environ set to :func:`dbt_env` for a ``with`` block (dagster-dbt starts dbt with
    os.environ), restored afterwards. Without a URL the PG* variables are left as they are."""
    values = dbt_settings(url, target_path)
    values["PATH"] = _path_with_bin(os.environ.get("PATH"))
    return patched_environ(values, remove=_URL_ONLY if url is not None else ())


def run_dbt(
    url: DatabaseUrl,
    args: Sequence[str],
    check: bool = True,
    target_path: Path | str | None = None,
    capture: bool = False,
) -> subprocess.CompletedProcess:
    """``dbt ARGS`` in the project folder against the URL's database."""
    return subprocess.run(
        [dbt_executable(), *args],
        cwd=DBT_PROJECT_DIR,
        env=dbt_env(url, target_path=target_path),
        check=check,
        capture_output=capture,
        text=capture or None,
    )
