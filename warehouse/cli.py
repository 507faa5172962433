"""`hotrod db up | down | status | url | revision`."""

from __future__ import annotations

import argparse

from warehouse import embedded, migrate
from warehouse.bootstrap import bootstrap
from warehouse.connection import connection, resolve
from warehouse.settings import external_url


def register(subparsers: argparse._SubParsersAction) -> None:
    db = subparsers.add_parser("db", help="the warehouse: up, down, status, url")
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    actions.add_parser("up", help="start the embedded server if needed and bootstrap").set_defaults(
        handler=_up
    )
    actions.add_parser("down", help="stop the embedded server").set_defaults(handler=_down)
    actions.add_parser("status", help="which warehouse is in effect, and is it up").set_defaults(
        handler=_status
    )
    url = actions.add_parser("url", help="print the URL in effect (psql accepts it)")
    url.add_argument("--sqlalchemy", action="store_true", help="postgresql+psycopg2:// form")
    url.set_defaults(handler=_url)
    revision = actions.add_parser(
        "revision", help="scaffold the next warehouse migration (docs/migrations.md)"
    )
    revision.add_argument("message", help="what the migration does, e.g. 'add deleted_at'")
    revision.set_defaults(handler=_revision)


def _up(args: argparse.Namespace) -> int:
    url = resolve()
    bootstrap(url)
    kind = "external" if external_url() else "embedded"
    print(f"warehouse up ({kind}, migration {migrate.current(url)}): {url}")
    return 0


def _revision(args: argparse.Namespace) -> int:
    module, sql_file = migrate.new_revision(args.message)
    print(f"new migration: {module}\nwrite its SQL in: {sql_file}\napply it: hotrod db up")
    return 0


def _down(args: argparse.Namespace) -> int:
    if external_url():
        print("HOTROD_DATABASE_URL is set: the external server is not managed here")
        return 0
    print("embedded warehouse stopped" if embedded.stop() else "embedded warehouse was not running")
    return 0


def _status(args: argparse.Namespace) -> int:
    url = external_url()
    if url is not None:
        with connection(url) as conn, conn.cursor() as cur:
            cur.execute("select version()")
            print(f"external warehouse {url}: up ({cur.fetchone()[0].split(',')[0]})")
        return 0
    current = embedded.status()
    state = f"running (pid {current.pid})" if current.running else "stopped"
    print(f"embedded warehouse at {current.data_dir}: {state}")
    return 0 if current.running else 1


def _url(args: argparse.Namespace) -> int:
    url = resolve()
    print(url.sqlalchemy_url if args.sqlalchemy else url.url)
    return 0
