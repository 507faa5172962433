"""The dbt project as Dagster sees it, and a manifest that is produced on demand.

Nothing here runs at import time. :func:`ensure_manifest` runs ``dbt parse`` only when the
manifest is missing or older than any file of the dbt project, under a file lock so that the
webserver, the daemon and every step process agree on one manifest.
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
from pathlib import Path

from dagster_dbt import DbtProject

from hotrod.dbt_cli import dbt_executable
from warehouse.settings import REPO_ROOT, hotrod_home

log = logging.getLogger(__name__)

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DBT_PROFILES_DIR = REPO_ROOT / "profiles"
# Folders whose files change what `dbt parse` produces.
_SOURCE_DIRS = ("models", "macros", "tests", "snapshots", "analyses")


class ManifestError(RuntimeError):
    """`dbt parse` failed: the dbt project does not parse."""


def target_dir() -> Path:
    """Where Dagster keeps its own dbt artifacts (apart from anyone's `dbt` runs)."""
    override = os.environ.get("HOTROD_DAGSTER_DBT_TARGET")
    return Path(override).resolve() if override else hotrod_home() / "dagster" / "dbt-target"


def dbt_project() -> DbtProject:
    return DbtProject(
        project_dir=DBT_PROJECT_DIR,
        profiles_dir=DBT_PROFILES_DIR,
        target_path=target_dir(),
    )


def _newest_source_mtime() -> float:
    newest = 0.0
    roots = [DBT_PROJECT_DIR / name for name in _SOURCE_DIRS]
    roots += [REPO_ROOT / "seeds", DBT_PROFILES_DIR]
    for path in (DBT_PROJECT_DIR / "dbt_project.yml",):
        newest = max(newest, path.stat().st_mtime)
    for root in roots:
        for dirpath, _dirnames, filenames in os.walk(root):
            newest = max(newest, Path(dirpath).stat().st_mtime)
            for name in filenames:
                try:
                    newest = max(newest, (Path(dirpath) / name).stat().st_mtime)
                except FileNotFoundError:  # removed while we walked
                    continue
    return newest


def manifest_is_stale(manifest: Path) -> bool:
    return not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime()


def ensure_manifest(project: DbtProject | None = None) -> Path:
    """The path of an up-to-date manifest.json, running `dbt parse` when it is stale."""
    project = project or dbt_project()
    manifest = project.manifest_path
    if not manifest_is_stale(manifest):
        return manifest
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest_is_stale(manifest):  # someone else may have parsed while we waited
            try:
                _parse(manifest.parent)
            except ManifestError as exc:
                if not manifest.exists():
                    raise
                # Keep serving the last good manifest while the project is being edited.
                log.warning("%s; using the previous manifest", exc)
    return manifest


def _parse(target: Path) -> None:
    log.info("dbt parse -> %s", target)
    dbt = dbt_executable()
    env = dict(os.environ)
    env.update(
        DBT_PROFILES_DIR=str(DBT_PROFILES_DIR),
        DBT_PROJECT_DIR=str(DBT_PROJECT_DIR),
        DBT_TARGET_PATH=str(target),
        DBT_LOG_PATH=str(target),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
    )
    out = subprocess.run(
        [dbt, "parse", "--quiet"],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        detail = (out.stdout + out.stderr).strip().splitlines()[-5:]
        raise ManifestError(
            "dbt parse failed; fix the dbt project (`hotrod dbt parse` shows why): "
            + " | ".join(detail)
        )
    # dbt keeps the old file when nothing changed: touch it so it reads as fresh.
    (target / "manifest.json").touch()
