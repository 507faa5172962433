"""The dbt project as Dagster sees it, with a manifest prepared once per change.

The manifest (``dbt parse``) is prepared before Dagster starts (``hotrod run``, ``hotrod dagster
dev`` and the tests call :func:`prepare`); under ``dagster dev`` the code location parses again
when it loads only if the manifest is stale: a file of the dbt project, its seeds or profiles is
newer than it, or it was parsed for another connection, folder or dbt version (the stamp beside
it). A checkout that has none yet gets one on first load. Every parse runs in the same dbt
environment as the runs (``warehouse.dbt_invocation``), so the runs reuse its partial parsing state.

Issue 17: dagster-dbt's own preparer parses on every load under ``dagster dev`` -- in every run
worker too, a ``dbt parse`` of seconds before each real-time run -- and then marks every seed
changed in the saved parse state (for a project parsed on one machine and run from another path),
so each run re-parsed the 9 seeds again. Here the state is parsed and used at the same path, and
the path is part of the stamp.
"""

from __future__ import annotations

import fcntl
import json
import os
from importlib.metadata import version
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from warehouse.dbt_invocation import (
    DBT_PROFILES_DIR,
    DBT_PROJECT_DIR,
    dbt_environment,
    dbt_settings,
)
from warehouse.settings import REPO_ROOT, DatabaseUrl, hotrod_home

STAMP = "manifest.stamp.json"
SEEDS_DIR = REPO_ROOT / "seeds"
# Folders dbt writes into: never a reason to parse again.
_WRITTEN = {"target", "logs", "dbt_packages"}


def target_dir() -> Path:
    """Where Dagster keeps its own dbt artifacts (apart from anyone's `dbt` runs)."""
    override = os.environ.get("HOTROD_DAGSTER_DBT_TARGET")
    return Path(override).resolve() if override else hotrod_home() / "dagster" / "dbt-target"


def newest_source_mtime() -> float:
    """The newest modification time of a file dbt parses (project, seeds, profiles)."""
    newest = 0.0
    for root in (DBT_PROJECT_DIR, SEEDS_DIR, DBT_PROFILES_DIR):
        for folder, dirs, files in os.walk(root):
            if Path(folder) == DBT_PROJECT_DIR:
                dirs[:] = [d for d in dirs if d not in _WRITTEN]
            for name in files:
                newest = max(newest, os.stat(os.path.join(folder, name)).st_mtime)
    return newest


def parse_stamp() -> dict[str, str]:
    """What a parse depends on besides the files: the dbt settings in effect (the connection
    without its password, the folders) and the dbt version."""
    settings = dbt_settings(None)
    settings.update({k: v for k, v in os.environ.items() if k.startswith("PG")})
    settings.pop("PGPASSWORD", None)
    settings["dbt-core"] = version("dbt-core")
    settings["target"] = str(target_dir())
    return dict(sorted(settings.items()))


def is_stale(project: DbtProject) -> bool:
    manifest = project.manifest_path
    stamp = manifest.with_name(STAMP)
    if not manifest.exists() or not stamp.exists():
        return True
    if newest_source_mtime() > manifest.stat().st_mtime:
        return True
    try:
        return json.loads(stamp.read_text()) != parse_stamp()
    except (OSError, ValueError):
        return True


def using_dagster_dev() -> bool:
    """Whether this process runs under ``dagster dev`` (its code server and run workers)."""
    return bool(os.environ.get("DAGSTER_IS_DEV_CLI"))


def parse(project: DbtProject) -> None:
    """``dbt parse`` into Dagster's target folder (one at a time per folder), then the stamp.
    The parse state is kept as dbt wrote it (dagster-dbt's preparer marks every seed changed)."""
    target = Path(project.target_path)
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".prepare.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        DbtCliResource(project_dir=project).cli(["parse", "--quiet"], target_path=target).wait()
        staged = target / f".{STAMP}.{os.getpid()}"
        staged.write_text(json.dumps(parse_stamp(), indent=1))
        staged.replace(project.manifest_path.with_name(STAMP))


def dbt_project() -> DbtProject:
    """The project; prepared by :func:`parse`, never by dagster-dbt's own preparer."""
    return DbtProject(
        project_dir=DBT_PROJECT_DIR,
        profiles_dir=DBT_PROFILES_DIR,
        target_path=target_dir(),
    )


def loadable_project(url: DatabaseUrl | None) -> DbtProject:
    """The project with a manifest to load: re-parsed under `dagster dev` when stale, parsed once
    when none exists yet, else the one prepared before. ``url``: the warehouse the runs will use
    (None when it cannot be told without starting it; the first run then parses in full)."""
    project = dbt_project()
    with dbt_environment(url, target_dir()):
        if not project.manifest_path.exists() or (using_dagster_dev() and is_stale(project)):
            parse(project)
    return project


def prepare(url: DatabaseUrl) -> DbtProject:
    """Parse the project now (`dbt parse`, partial parsing state kept for the runs)."""
    project = dbt_project()
    with dbt_environment(url, target_dir()):
        parse(project)
    return project
