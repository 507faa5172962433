"""Fixtures for the orchestration tests: a warehouse database the Definitions resolve to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from warehouse.connection import drop_database
from warehouse.settings import DatabaseUrl


@pytest.fixture
def use_db(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """Point the Definitions' resources at a database (HOTROD_DATABASE_URL) and keep backups in
    tmp_path; returns a function taking the DatabaseUrl."""

    def _use(url: DatabaseUrl) -> DatabaseUrl:
        monkeypatch.setenv("HOTROD_DATABASE_URL", url.url)
        monkeypatch.setenv("HOTROD_BACKUP_DIR", str(tmp_path / "backups"))
        return url

    return _use


@pytest.fixture
def dagster_storage(module_db: DatabaseUrl) -> Iterator[DatabaseUrl]:
    """The `<db>_dagster` storage database Dagster uses next to module_db, dropped afterwards."""
    from orchestration.instance import storage_url

    storage = storage_url(module_db)
    try:
        yield storage
    finally:
        drop_database(storage)
