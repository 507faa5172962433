"""Bootstrap: the database and everything the migrations own, at the newest revision."""

from __future__ import annotations

from warehouse.migrate import upgrade
from warehouse.settings import DatabaseUrl


def bootstrap(url: DatabaseUrl) -> None:
    """Create the database if missing and apply the pending migrations. Safe to repeat."""
    upgrade(url)
