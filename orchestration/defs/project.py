"""The dbt project as Dagster sees it, with a manifest prepared the way dagster-dbt does it.

Under ``dagster dev`` :meth:`DbtProject.prepare_if_dev` parses the project whenever Dagster loads
the definitions; elsewhere the manifest prepared earlier is used (``hotrod run``, ``hotrod dagster
dev`` and the tests prepare it first with :func:`prepare`), and a checkout that has none yet gets
one on first load. Every parse runs in the same dbt environment as the runs
(``warehouse.dbt_invocation``), so the runs reuse its partial parsing state.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster_dbt import DbtProject

from warehouse.dbt_invocation import DBT_PROFILES_DIR, DBT_PROJECT_DIR, dbt_environment
from warehouse.settings import DatabaseUrl, hotrod_home


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


def loadable_project(url: DatabaseUrl | None) -> DbtProject:
    """The project with a manifest to load: re-parsed under `dagster dev`, parsed once when none
    exists yet, else the one prepared before. ``url``: the warehouse the runs will use (None when
    it cannot be told without starting it; the first run then parses in full)."""
    project = dbt_project()
    with dbt_environment(url, target_dir()):
        project.prepare_if_dev()
        if not project.manifest_path.exists():
            project.preparer.prepare(project)
    return project


def prepare(url: DatabaseUrl) -> DbtProject:
    """Parse the project now (`dbt parse`, partial parsing state kept for the runs)."""
    project = dbt_project()
    with dbt_environment(url, target_dir()):
        project.preparer.prepare(project)
    return project
