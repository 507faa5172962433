"""Versioned warehouse migrations (Alembic): upgrade, inspect, scaffold.

Raw landing tables, roles, grants, and the security and privacy functions are owned here; every
change to them is a new revision under ``warehouse/migrations/versions`` running one SQL file of
``warehouse/migrations/sql``. ``bootstrap()`` upgrades to the newest revision: a database is
created when missing and each revision is applied once.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command, op
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from warehouse.connection import connect, ensure_database
from warehouse.settings import REPO_ROOT, DatabaseUrl

SCRIPT_LOCATION = "warehouse:migrations"
LOCK = "select pg_advisory_xact_lock(hashtext('hotrod-bootstrap'))"


def config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    return cfg


def run_sql(name: str) -> None:
    """Run a SQL file of warehouse/migrations/sql as is (no bind-parameter parsing).

    ``name`` is the file's path under sql/, or a revision module's ``__file__``: then the SQL
    file with the module's name (``versions/0003_x.py`` runs ``sql/0003_x.sql``).
    """
    if name.endswith(".py"):
        name = Path(name).stem + ".sql"
    text = resources.files("warehouse.migrations").joinpath("sql", name).read_text()
    # Straight to the driver's cursor, without parameters: `%` and `:name` stay as written.
    with op.get_bind().connection.cursor() as cursor:
        cursor.execute(text)


def _engine(url: DatabaseUrl):
    return create_engine("postgresql+psycopg2://", creator=lambda: connect(url), poolclass=NullPool)


def upgrade(url: DatabaseUrl, revision: str = "head") -> None:
    """Create the database if missing; apply every revision not applied yet, in one transaction."""
    ensure_database(url)
    with _engine(url).begin() as conn:
        # Roles are cluster-wide: serialise concurrent upgrades (tests run in parallel).
        conn.exec_driver_sql(LOCK)
        cfg = config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current(url: DatabaseUrl) -> str | None:
    """The revision the warehouse is at (None before the first migration)."""
    with _engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head() -> str:
    return ScriptDirectory.from_config(config()).get_current_head()


def new_revision(message: str) -> tuple[Path, Path]:
    """Scaffold the next revision: its module (versions/NNNN_slug.py) and its empty SQL file."""
    previous = ScriptDirectory.from_config(config()).get_current_head()
    number = f"{int(previous) + 1:04d}"
    versions = REPO_ROOT / "warehouse" / "migrations" / "versions"
    command.revision(config(), message=message, rev_id=number, version_path=str(versions))
    module = next(versions.glob(f"{number}_*.py"))
    sql = REPO_ROOT / "warehouse" / "migrations" / "sql" / f"{module.stem}.sql"
    sql.write_text(
        f"-- {number}: {message}\n"
        "-- Applied once, in the same transaction as the other pending revisions.\n"
    )
    return module, sql
