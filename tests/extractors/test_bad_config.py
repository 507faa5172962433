"""Every bad configuration is refused in one line (issue 20 item 7).

A table of cases, each run as an operator would (the `hotrod` command in a subprocess): the exit
status is non-zero, stderr is exactly one `hotrod: error:` line naming what to fix, there is no
traceback and no secret; nonsense is refused before any work (nothing in the load ledger).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2
import pytest

from tests.extractors.sandbox_helpers import query
from warehouse.settings import DatabaseUrl

HOTROD = os.path.join(os.path.dirname(sys.executable), "hotrod")
DB_PASSWORD = f"dbpw{uuid.uuid4().hex}"
TOKEN = f"shpat_{uuid.uuid4().hex}"
URL_PASSWORD = f"urlpw{uuid.uuid4().hex}"
SECRETS = (DB_PASSWORD, TOKEN, URL_PASSWORD)
INFO_LOG = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO ")
UNREACHABLE_DB = f"postgresql://hotrod:{DB_PASSWORD}@127.0.0.1:1/hotrod"
GOOD = {
    "SHOPIFY_SHOP": "hot-rod-an.sandbox.test",
    "SHOPIFY_ACCESS_TOKEN": TOKEN,
    "SHOPIFY_API_BASE_URL": "http://127.0.0.1:1/{shop}",
}


@dataclass
class Case:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    names: str = ""  # what the line must name (the variable / option / next step)
    db: str = "fresh"  # fresh: a real warehouse (nothing may be written); unreachable; readonly


CASES = [
    Case("api version garbage", ["extract", "shopify"], {"SHOPIFY_API_VERSION": "latest"},
         "SHOPIFY_API_VERSION"),
    Case("api version unsupported", ["extract", "shopify"], {"SHOPIFY_API_VERSION": "2019-04"},
         "SHOPIFY_API_VERSION"),
    Case("api version month", ["extract", "shopify", "--entity", "orders"],
         {"SHOPIFY_API_VERSION": "2026-05"}, "SHOPIFY_API_VERSION"),
    Case("empty shop list", ["extract", "shopify"], {"SHOPIFY_SHOP": " , "}, "SHOPIFY_SHOP"),
    Case("empty shop list, all", ["extract", "all"], {"SHOPIFY_SHOP": ","}, "SHOPIFY_SHOP"),
    Case("negative lookback", ["extract", "shopify", "--lookback-minutes", "-5"], {},
         "--lookback-minutes"),
    Case("absurd lookback", ["extract", "shopify", "--lookback-minutes", "99999999"], {},
         "--lookback-minutes"),
    Case("negative sandbox size", ["db", "status"], {"HOTROD_SANDBOX_ORDERS": "-3"},
         "HOTROD_SANDBOX_ORDERS"),
    Case("absurd sandbox size", ["db", "status"], {"HOTROD_SANDBOX_ORDERS": "999999999999"},
         "HOTROD_SANDBOX_ORDERS"),
    Case("sandbox size not a number", ["db", "status"], {"HOTROD_SANDBOX_ORDERS": "many"},
         "HOTROD_SANDBOX_ORDERS"),
    Case("replay window negative", ["webhooks", "serve", "--port", "0"],
         {"CHATWOOT_WEBHOOK_MAX_AGE_S": "-1"}, "CHATWOOT_WEBHOOK_MAX_AGE_S"),
    Case("database url scheme", ["db", "status"],
         {"HOTROD_DATABASE_URL": f"mysql://u:{DB_PASSWORD}@h/d"}, "HOTROD_DATABASE_URL",
         db="as set"),
    Case("chatwoot url with password, refused", ["extract", "chatwoot", "--quiet"],
         {"CHATWOOT_URL": f"http://agent:{URL_PASSWORD}@{{api}}", "CHATWOOT_ACCOUNT_ID": "1",
          "CHATWOOT_API_TOKEN": TOKEN}, "chatwoot"),
    *[
        Case(f"unreachable database: {' '.join(argv)}", argv, {}, "HOTROD_DATABASE_URL",
             db="unreachable")
        for argv in (
            ["extract", "shopify"],
            ["extract", "all"],
            ["webhooks", "serve", "--port", "0"],
            ["db", "status"],
            ["privacy", "process"],
            ["dbt", "build"],
        )
    ],
    Case("read-only role: extract", ["extract", "shopify"], {}, "privilege", db="readonly"),
    Case("read-only role: webhooks", ["privacy", "process"], {}, "privilege", db="readonly"),
]  # fmt: skip


@pytest.fixture
def readonly_url(fresh_db):
    role = f"ro_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(**fresh_db.connect_kwargs())
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"create role {role} login password %s", (DB_PASSWORD,))
        cur.execute(f'grant connect on database "{fresh_db.database}" to {role}')
        for schema in ("raw_shopify", "raw_chatwoot", "raw_app"):
            cur.execute(f"grant usage on schema {schema} to {role}")
            cur.execute(f"grant select on all tables in schema {schema} to {role}")
    url = DatabaseUrl(
        role, DB_PASSWORD, fresh_db.host, fresh_db.port, fresh_db.database, fresh_db.params
    )
    yield url
    with admin.cursor() as cur:
        cur.execute(f'revoke all on database "{fresh_db.database}" from {role}')
        for schema in ("raw_shopify", "raw_chatwoot", "raw_app"):
            cur.execute(f"revoke all on all tables in schema {schema} from {role}")
            cur.execute(f"revoke all on schema {schema} from {role}")
        cur.execute(f"drop role {role}")
    admin.close()


class _Refusing(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"error": "Invalid Access Token"}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def refusing_api():
    """An API that answers every request 401 (a revoked token), at once."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _env(case: Case, db_url: str, api: str = "") -> dict[str, str]:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HOTROD_", "SHOPIFY_", "CHATWOOT_", "PG"))
    }
    chosen = {k: v.replace("{api}", api) for k, v in case.env.items()}
    return {**keep, "HOTROD_DATABASE_URL": db_url, **GOOD, **chosen}


def _error_lines(stderr: str) -> list[str]:
    """stderr without the INFO log lines a command writes before it fails (what it skipped)."""
    return [line for line in stderr.strip().splitlines() if not INFO_LOG.match(line)]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_config_is_one_line_non_zero_no_traceback_no_secret(
    case, fresh_db, refusing_api, request
):
    if case.db == "readonly":
        db_url = request.getfixturevalue("readonly_url").url
    elif case.db == "unreachable":
        db_url = UNREACHABLE_DB
    else:
        db_url = fresh_db.url
    done = subprocess.run(
        [HOTROD, *case.argv],
        env=_env(case, db_url, refusing_api),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = _error_lines(done.stderr)
    assert done.returncode != 0, done.stderr
    assert len(lines) == 1 and lines[0].startswith("hotrod: error: "), done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert case.names.lower() in lines[0].lower()
    assert not [s for s in SECRETS if s in done.stdout + done.stderr]
    if case.db == "fresh":
        ledger = query(fresh_db, "select entity, status, error from raw_app.load_ledger")
        if case.names in ("chatwoot",):  # a real attempt: recorded, without the password
            assert ledger and not [r for r in ledger if URL_PASSWORD in (r[2] or "")]
        else:
            assert ledger == []  # refused before any work


def test_a_port_in_use_is_one_line(fresh_db):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [HOTROD, "webhooks", "serve", "--port", str(port)],
            env=_env(Case("port", []), fresh_db.url),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    lines = _error_lines(done.stderr)
    assert done.returncode != 0 and len(lines) == 1, done.stderr
    assert "--port" in lines[0] and "Traceback" not in done.stderr
