"""Versioned warehouse migrations (Alembic): upgrade, inspect, scaffold.

Raw landing tables, roles, grants, and the security and privacy functions are owned here; every
change to them is a new revision under ``warehouse/migrations/versions`` running one SQL file of
``warehouse/migrations/sql``. ``bootstrap()`` upgrades to the newest revision: a database is
created when missing and each revision is applied once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command, op
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from warehouse.connection import connect, connection, ensure_database
from warehouse.settings import DatabaseUrl

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
LOCK = "select pg_advisory_lock(hashtext('hotrod-bootstrap'))"


def config(location: Path = MIGRATIONS) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(location))
    return cfg


def run_sql(name: str) -> None:
    """Run a SQL file of the migrations' sql/ folder as is (no bind-parameter parsing).

    ``name`` is a revision module's ``__file__`` (``versions/0003_x.py`` runs ``sql/0003_x.sql``
    beside it), or a path under warehouse/migrations/sql.
    """
    if name.endswith(".py"):
        module = Path(name)
        path = module.parent.parent / "sql" / f"{module.stem}.sql"
    else:
        path = MIGRATIONS / "sql" / name
    text = path.read_text(encoding="utf-8")
    # Straight to the driver's cursor, without parameters: `%` and `:name` stay as written.
    with op.get_bind().connection.cursor() as cursor:
        cursor.execute(text)


def _engine(url: DatabaseUrl):
    return create_engine("postgresql+psycopg2://", creator=lambda: connect(url), poolclass=NullPool)


def upgrade(url: DatabaseUrl, revision: str = "head", location: Path = MIGRATIONS) -> None:
    """Create the database if missing; apply every revision not applied yet, in one transaction."""
    ensure_database(url)
    with cluster_lock(url), _engine(url).begin() as conn:
        cfg = config(location)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


@contextmanager
def cluster_lock(url: DatabaseUrl) -> Iterator[None]:
    """Roles are cluster-wide, advisory locks per database: upgrades of two databases of one
    server (tests run in parallel) are serialised by a session lock taken in the server's
    maintenance database (it serialises upgrades of one database too), released when its
    connection closes."""
    with connection(url.with_database("postgres"), autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(LOCK)
        yield


def current(url: DatabaseUrl) -> str | None:
    """The revision the warehouse is at (None before the first migration)."""
    with _engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head(location: Path = MIGRATIONS) -> str:
    return ScriptDirectory.from_config(config(location)).get_current_head()


def new_revision(message: str, location: Path = MIGRATIONS) -> tuple[Path, Path]:
    """Scaffold the next revision: its module (versions/NNNN_slug.py) and its empty SQL file."""
    # after the highest number taken (branches renumbered on merge may leave the head below it)
    taken = [int(p.name[:4]) for p in (location / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")]
    number = f"{max(taken, default=0) + 1:04d}"
    versions = location / "versions"
    command.revision(config(location), message=message, rev_id=number, version_path=str(versions))
    module = next(versions.glob(f"{number}_*.py"))
    sql = location / "sql" / f"{module.stem}.sql"
    sql.write_text(
        f"-- {number}: {message}\n"
        "-- Applied once, in the same transaction as the other pending revisions.\n",
        encoding="utf-8",
    )
    return module, sql
