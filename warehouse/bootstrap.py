"""Idempotent bootstrap: database, schemas, roles and raw landing tables."""

from __future__ import annotations

from importlib import resources

from warehouse.connection import connection, ensure_database
from warehouse.settings import DatabaseUrl

SQL_FILES = (
    "001_schemas_roles.sql",
    "002_raw_tables.sql",
    "003_security.sql",
    "004_privacy.sql",
)


def bootstrap(url: DatabaseUrl) -> None:
    """Create the database if missing, then schemas, roles and raw tables. Safe to repeat."""
    ensure_database(url)
    with connection(url) as conn, conn.cursor() as cur:
        # Roles are cluster-wide: serialise concurrent bootstraps (tests run in parallel).
        cur.execute("select pg_advisory_xact_lock(hashtext('hotrod-bootstrap'))")
        for name in SQL_FILES:
            cur.execute(resources.files("warehouse").joinpath("sql", name).read_text())
