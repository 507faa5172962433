"""Dagster instance storage in the warehouse, resolved at run time (no URL in dagster.yaml).

``dagster.yaml`` names this class (``storage: custom: ...``); every Dagster process (webserver,
daemon, run workers) then finds the warehouse the same way the rest of the project does —
HOTROD_DATABASE_URL, else the embedded server — and keeps runs, event logs and schedule state in
the database ``<warehouse db>_dagster`` (or HOTROD_DAGSTER_STORAGE_URL), created when missing.
"""

from dagster._serdes import ConfigurableClassData
from dagster_postgres import DagsterPostgresStorage


class WarehouseStorage(DagsterPostgresStorage):
    """dagster-postgres storage on the warehouse server in effect."""

    @classmethod
    def config_type(cls) -> dict:
        return {}

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: dict
    ) -> "WarehouseStorage":
        from orchestration.instance import storage_url
        from warehouse.connection import ensure_database, resolve

        storage = storage_url(resolve())
        ensure_database(storage)
        return cls(postgres_url=storage.sqlalchemy_url, inst_data=inst_data)
