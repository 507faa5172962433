"""Resolve the URL in effect and open connections, with one-line errors that say what to do."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg2
import psycopg2.extensions

from warehouse import embedded
from warehouse.settings import DatabaseUrl, external_url


class WarehouseError(RuntimeError):
    """A problem the operator can act on; printed as one line by the CLI."""


def resolve(start_embedded: bool = True) -> DatabaseUrl:
    """The warehouse URL in effect: HOTROD_DATABASE_URL, else the embedded server."""
    url = external_url()
    if url is not None:
        return url
    if not start_embedded:
        current = embedded.status()
        if not current.running:
            raise WarehouseError(
                "the embedded warehouse is not running: start it with `hotrod db up`"
            )
    return embedded.start()


def running_url() -> DatabaseUrl | None:
    """The URL in effect when it can be told without starting anything: HOTROD_DATABASE_URL, or
    the embedded server when it is running; None otherwise."""
    try:
        return resolve(start_embedded=False)
    except WarehouseError:
        return None


def connect(url: DatabaseUrl, autocommit: bool = False, **kwargs) -> psycopg2.extensions.connection:
    try:
        conn = psycopg2.connect(connect_timeout=10, **url.connect_kwargs(), **kwargs)
    except psycopg2.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WarehouseError(
            f"cannot connect to Postgres at {url}: {reason} "
            "(check HOTROD_DATABASE_URL, or unset it to use the embedded warehouse)"
        ) from None
    conn.autocommit = autocommit
    return conn


def database_error(exc: BaseException) -> str:
    """One line for a database error that reached the command line (no traceback)."""
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    code = getattr(exc, "pgcode", None)
    if code == "42501":  # insufficient_privilege
        hint = "the role in HOTROD_DATABASE_URL lacks a privilege: use the warehouse owner role"
    elif code == "25006":  # read_only_sql_transaction
        hint = "the database is read-only (a standby?): point HOTROD_DATABASE_URL at the primary"
    else:
        hint = "check HOTROD_DATABASE_URL and that the warehouse is up (`hotrod db status`)"
    return f"database error: {reason} ({hint})"


@contextlib.contextmanager
def connection(
    url: DatabaseUrl, autocommit: bool = False
) -> Iterator[psycopg2.extensions.connection]:
    conn = connect(url, autocommit=autocommit)
    try:
        yield conn
        if not autocommit:
            conn.commit()
    except BaseException:
        if not autocommit:
            conn.rollback()
        raise
    finally:
        conn.close()


def ensure_database(url: DatabaseUrl) -> bool:
    """Create the URL's database when missing (connecting to the server's maintenance db)."""
    with connection(url.with_database("postgres"), autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("select 1 from pg_database where datname = %s", (url.database,))
        if cur.fetchone():
            return False
        cur.execute(f'create database "{url.database}"')
        return True


def drop_database(url: DatabaseUrl) -> None:
    with connection(url.with_database("postgres"), autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f'drop database if exists "{url.database}" with (force)')
