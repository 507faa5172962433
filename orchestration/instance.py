"""Dagster's own storage (runs, event logs, schedules) in the warehouse via dagster-postgres.

The storage lives in a database of its own next to the warehouse database (``<db>_dagster``), so
``dbt`` and backups never touch it and it survives restarts of `dagster dev`. :func:`prepare_home`
writes ``DAGSTER_HOME/dagster.yaml`` (orchestration/dagster.yaml.template), whose storage class
(orchestration.storage.WarehouseStorage) finds the warehouse from the environment.
"""

from __future__ import annotations

import os
from pathlib import Path

from warehouse.connection import ensure_database, resolve
from warehouse.settings import DatabaseUrl, hotrod_home

STORAGE_URL_ENV = "HOTROD_DAGSTER_STORAGE_URL"
TEMPLATE = Path(__file__).with_name("dagster.yaml.template")


def default_home() -> Path:
    return hotrod_home() / "dagster"


def storage_url(url: DatabaseUrl) -> DatabaseUrl:
    """Dagster's storage database: HOTROD_DAGSTER_STORAGE_URL, else `<db>_dagster`."""
    override = os.environ.get(STORAGE_URL_ENV, "").strip()
    if override:
        return DatabaseUrl.parse(override)
    return url.with_database(f"{url.database}_dagster")


def render_yaml() -> str:
    """dagster.yaml: storage through orchestration.storage.WarehouseStorage (no URL, no secret)."""
    return TEMPLATE.read_text()


def prepare_home(
    home: Path | None = None, url: DatabaseUrl | None = None
) -> tuple[Path, dict[str, str]]:
    """Create DAGSTER_HOME with the project's dagster.yaml and the storage database; return it
    and the environment to run Dagster with."""
    home = (home or default_home()).resolve()
    url = url or resolve()
    storage = storage_url(url)
    ensure_database(storage)
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(render_yaml())
    return home, {"DAGSTER_HOME": str(home)}
