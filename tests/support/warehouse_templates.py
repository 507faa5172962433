"""Built warehouses shared by the test modules that need the same one.

Building a warehouse (sandbox landed raw, dbt seed and run) is the slowest step of the suite. A
module that needs one asks for it by a key naming its whole input (store, dbt commands, clock):
the first ask builds it into a template database, every ask gets its own copy made with
``CREATE DATABASE ... TEMPLATE`` (a file copy, seconds instead of minutes). Each module still owns
a private database it may change; the templates are dropped at the end of the session.

Under pytest-xdist the worker processes of a run share the templates (tests/support/
shared_session.py): the first worker to ask for a key builds it under a run-wide lock, the others
wait and copy it; the templates are named after the run and the controller drops them at the end.

What a template copy does not carry is copied here by hand: the database's own privileges
(the migrations revoke TEMPORARY from PUBLIC and grant it to service_role), checked equal after.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from psycopg2 import sql

from tests.support.shared_session import SharedRun, safe_name
from warehouse.bootstrap import bootstrap
from warehouse.connection import connection, drop_database
from warehouse.settings import DatabaseUrl

# build(url, target): fill the bootstrapped database at url; dbt artifacts go to target.
Build = Callable[[DatabaseUrl, Path], None]

_ACL = """
    select coalesce(r.rolname, 'public'), a.privilege_type, a.is_grantable
    from pg_database d
    cross join lateral aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
    left join pg_roles r on r.oid = a.grantee
    where d.datname = %s and a.grantee <> d.datdba
    order by 1, 2
"""


@dataclass(frozen=True)
class _Template:
    url: DatabaseUrl
    target: Path


def _role(name: str) -> sql.Composable:
    return sql.SQL("public") if name == "public" else sql.Identifier(name)


def _template_prefix(run_id: str) -> str:
    return f"hotrod_tpl_{run_id}_"


class WarehouseTemplates:
    """The session's template warehouses, by key; shared with the other processes of `shared`'s
    run when given (then kept until drop_run_templates), else this process's own."""

    def __init__(self, server_url: DatabaseUrl, shared: SharedRun | None = None) -> None:
        self._server = server_url
        self._shared = shared
        self._root = Path(tempfile.mkdtemp(prefix="hotrod-templates-"))
        self._templates: dict[str, _Template] = {}

    @contextlib.contextmanager
    def copy(
        self, key: str, build: Build, name: str, target: Path | None = None
    ) -> Iterator[DatabaseUrl]:
        """A new database `name_<unique>` holding the warehouse `build` makes for `key` (built on
        the first ask), dropped afterwards; the build's dbt target folder is copied into
        `target` when given."""
        template = self._templates.get(key) or self._template(key, build)
        url = self._server.with_database(f"{name}_{os.getpid()}_{uuid.uuid4().hex[:8]}")
        with self._admin() as cur:
            cur.execute(
                sql.SQL("create database {} template {}").format(
                    sql.Identifier(url.database), sql.Identifier(template.url.database)
                )
            )
            _copy_database_privileges(cur, template.url.database, url.database)
        try:
            if target is not None:
                shutil.copytree(template.target, target, dirs_exist_ok=True)
            yield url
        finally:
            drop_database(url)

    @contextlib.contextmanager
    def _admin(self) -> Iterator:
        """A cursor on the server's maintenance database, autocommit."""
        with connection(self._server.with_database("postgres"), autocommit=True) as conn:
            yield conn.cursor()

    def _template(self, key: str, build: Build) -> _Template:
        if self._shared is None:
            url = self._server.with_database(f"hotrod_tpl_{os.getpid()}_{uuid.uuid4().hex[:8]}")
            self._templates[key] = self._build(url, self._root / url.database / "target", build)
            return self._templates[key]
        name = _template_prefix(self._shared.run_id) + safe_name(key)[-10:]
        url = self._server.with_database(name)
        with self._shared.locked(f"template {key}") as folder:
            done = folder / ".done"
            if not done.exists():  # the first ask of the run (or a failed build before it)
                shutil.rmtree(folder / "target", ignore_errors=True)
                self._build(url, folder / "target", build)
                done.touch()
        self._templates[key] = _Template(url, folder / "target")
        return self._templates[key]

    def _build(self, url: DatabaseUrl, target: Path, build: Build) -> _Template:
        target.mkdir(parents=True)
        bootstrap(url)
        try:
            build(url, target)
        except BaseException:
            drop_database(url)
            raise
        # a copy needs the template without sessions: end any a build left open
        with self._admin() as cur:
            cur.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity"
                " where datname = %s and pid <> pg_backend_pid()",
                (url.database,),
            )
        return _Template(url, target)

    def close(self) -> None:
        """Drop this process's own templates (shared ones: drop_run_templates)."""
        if self._shared is None:
            for template in self._templates.values():
                drop_database(template.url)
        self._templates.clear()
        shutil.rmtree(self._root, ignore_errors=True)


def drop_run_templates(server_url: DatabaseUrl, run_id: str) -> list[str]:
    """Drop the shared templates of run `run_id` (every process of the run has ended); returns
    their names."""
    pattern = _template_prefix(run_id).replace("_", r"\_") + "%"
    maintenance = server_url.with_database("postgres")
    with connection(maintenance, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("select datname from pg_database where datname like %s", (pattern,))
        names = sorted(name for (name,) in cur.fetchall())
    for name in names:
        drop_database(server_url.with_database(name))
    return names


def _copy_database_privileges(cur, source: str, copy: str) -> None:
    """Give `copy` the database privileges of `source` (a template copy gets the defaults)."""
    cur.execute(_ACL, (source,))
    wanted = cur.fetchall()
    cur.execute(_ACL, (copy,))
    present = cur.fetchall()
    if present == wanted:
        return
    for role in sorted({row[0] for row in present}):
        cur.execute(
            sql.SQL("revoke all on database {} from {}").format(sql.Identifier(copy), _role(role))
        )
    for role, privilege, grantable in wanted:
        cur.execute(
            sql.SQL("grant {} on database {} to {}{}").format(
                sql.SQL(privilege),
                sql.Identifier(copy),
                _role(role),
                sql.SQL(" with grant option" if grantable else ""),
            )
        )
    cur.execute(_ACL, (copy,))
    copied = cur.fetchall()
    assert copied == wanted, f"database privileges of {copy}: {copied}, expected {wanted}"


def every_model(store) -> tuple[str, Build]:
    """(key, build) of the warehouse of `store` (a sandbox.store.SandboxStore) landed raw, then
    `dbt seed` and `dbt run` of every model as of the store's clock."""
    from tests.support.dbt_runs import failure_summary, run_dbt_isolated
    from tests.support.raw_loader import load_store

    as_of = store.now.strftime("%Y-%m-%dT%H:%M:%SZ")

    def build(url: DatabaseUrl, target: Path) -> None:
        load_store(url, store)
        # as_of on the seed too: the run then reuses its parse (other vars: a full re-parse)
        for command in ("seed", "run"):
            result = run_dbt_isolated(url, [command], target.parent, as_of=as_of)  # in target
            assert result.returncode == 0, failure_summary(result)

    return f"every model as of {as_of} on {store.cached_path.name}", build
