"""The foundation: warehouse selection, bootstrap, the CLI, and a real `dbt build`."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from warehouse.bootstrap import bootstrap
from warehouse.connection import WarehouseError, connect, drop_database
from warehouse.dbt_invocation import run_dbt
from warehouse.settings import DatabaseUrl

SCHEMAS = {"raw_shopify", "raw_chatwoot", "raw_app", "staging", "intermediate", "marts"}
HOTROD = os.path.join(os.path.dirname(sys.executable), "hotrod")


def _schemas(url: DatabaseUrl) -> set[str]:
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("select nspname from pg_namespace")
        return {row[0] for row in cur.fetchall()}


def test_bootstrap_creates_schemas_roles_and_is_idempotent(fresh_db):
    bootstrap(fresh_db)  # second time: nothing breaks, nothing duplicates
    assert _schemas(fresh_db) >= SCHEMAS
    conn = connect(fresh_db, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            "select rolname, rolcanlogin from pg_roles where rolname in ('service_role','operator')"
        )
        roles = dict(cur.fetchall())
        cur.execute(
            "select count(*) from information_schema.tables where table_schema = 'raw_shopify'"
        )
        raw_tables = cur.fetchone()[0]
    assert roles == {"service_role": False, "operator": False}
    assert raw_tables >= 6


def test_dbt_build_on_fresh_database(fresh_db):
    result = run_dbt(fresh_db, ["build", "--select", "product_taxonomy"], check=False)
    assert result.returncode == 0
    conn = connect(fresh_db, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("select count(*), count(distinct category_l1) from marts.product_taxonomy")
        rows, departments = cur.fetchone()
    assert rows >= 40
    assert departments >= 7


def test_url_parsing_round_trips_socket_and_tcp():
    tcp = DatabaseUrl.parse("postgresql://u:p%40ss@db.example:6543/x?sslmode=require")
    assert (tcp.host, tcp.port, tcp.database, tcp.password) == ("db.example", 6543, "x", "p@ss")
    assert DatabaseUrl.parse(tcp.url) == tcp
    assert "p@ss" not in str(tcp) and "p%40ss" not in str(tcp)
    sock = DatabaseUrl.parse("postgresql://postgres@/hotrod?host=/tmp/sock&port=5432")
    assert sock.is_socket and sock.host == "/tmp/sock"
    assert DatabaseUrl.parse(sock.url) == sock
    assert sock.sqlalchemy_url.startswith("postgresql+psycopg2://")


def test_cli_url_is_accepted_by_psql(server_url):
    out = subprocess.run([HOTROD, "db", "url"], capture_output=True, text=True, check=True)
    url = out.stdout.strip()
    assert url.startswith("postgresql://")
    psql = subprocess.run(
        ["psql", url, "-Atc", "select 1"], capture_output=True, text=True, check=False
    )
    if psql.returncode != 0 and "not found" in psql.stderr:
        pytest.fail("psql is not installed")
    assert psql.stdout.strip() == "1", psql.stderr


def test_unreachable_external_url_is_one_clear_line():
    env = dict(os.environ, HOTROD_DATABASE_URL="postgresql://postgres@127.0.0.1:1/nowhere")
    out = subprocess.run([HOTROD, "db", "up"], capture_output=True, text=True, env=env)
    assert out.returncode == 2
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("hotrod: error: cannot connect to Postgres")
    assert "Traceback" not in out.stderr


def test_connect_error_names_what_to_do():
    with pytest.raises(WarehouseError, match="HOTROD_DATABASE_URL"):
        connect(DatabaseUrl.parse("postgresql://postgres@127.0.0.1:1/nowhere"))


EXTERNAL = os.environ.get(
    "HOTROD_TEST_EXTERNAL_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _external_reachable() -> bool:
    try:
        connect(DatabaseUrl.parse(EXTERNAL)).close()
        return True
    except WarehouseError:
        return False


@pytest.mark.external
@pytest.mark.skipif(not _external_reachable(), reason=f"no Postgres server at {EXTERNAL}")
def test_make_run_against_external_server_builds_there():
    name = f"hotrod_ext_{uuid.uuid4().hex[:8]}"
    url = DatabaseUrl.parse(EXTERNAL).with_database(name)
    env = dict(os.environ, HOTROD_DATABASE_URL=url.url, HOTROD_RUN_SKIP_PIPELINE="1")
    try:
        out = subprocess.run([HOTROD, "run"], capture_output=True, text=True, env=env)
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        conn = connect(url, autocommit=True)
        with conn, conn.cursor() as cur:
            cur.execute("select count(*) from marts.product_taxonomy")
            assert cur.fetchone()[0] >= 40
    finally:
        drop_database(url)
