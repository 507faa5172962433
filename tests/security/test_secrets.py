"""Secrets come from the environment only and never reach logs, errors, the ledger or tables.

An extraction (successful, then with a rejected token), the webhook receiver (signed and badly
signed deliveries) and privacy processing run as the CLI does, with unique secret values (tokens,
webhook secrets, a password inside CHATWOOT_URL, one inside HOTROD_DATABASE_URL); then every
captured output, log, file and text/json column of the database is scanned for them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests

from tests.security import support
from warehouse.settings import DatabaseUrl

HOTROD = os.path.join(os.path.dirname(sys.executable), "hotrod")


def _secret(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [HOTROD, "-v", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=support._default_signals,
        check=False,
    )


def _wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port}")


def _files_text(root) -> str:
    parts = []
    for path in root.rglob("*"):
        if path.is_file() and path.stat().st_size < 5_000_000:
            parts.append(path.read_text(errors="replace"))
    return "\n".join(parts)


def test_secrets_never_reach_logs_errors_ledger_or_tables(fresh_db, tmp_path):
    store_mod = pytest.importorskip("sandbox.store")
    server_mod = pytest.importorskip("sandbox.server")
    sender = pytest.importorskip("sandbox.webhook_sender")
    from sandbox.server.app import Credentials
    from tests.extractors.sandbox_helpers import sandbox_env

    secrets = {
        "SHOPIFY_ACCESS_TOKEN": _secret("shpat_"),
        "CHATWOOT_API_TOKEN": _secret("cw_"),
        "HOTROD_APP_API_TOKEN": _secret("app_"),
        "SHOPIFY_WEBHOOK_SECRET": _secret("whsec_shopify_"),
        "CHATWOOT_WEBHOOK_SECRET": _secret("whsec_chatwoot_"),
    }
    rejected = _secret("cw_revoked_")
    url_password = _secret("urlpw")  # a password inside a URL (CHATWOOT_URL user:password@)
    db_password = _secret("dbpw")  # in HOTROD_DATABASE_URL (the test server trusts local users)
    store = store_mod.SandboxStore.open(orders=300, seed=7)
    server = server_mod.start_server(
        store,
        credentials=Credentials(
            shopify_token=secrets["SHOPIFY_ACCESS_TOKEN"],
            chatwoot_token=secrets["CHATWOOT_API_TOKEN"],
            app_token=secrets["HOTROD_APP_API_TOKEN"],
        ),
    )
    with_password = DatabaseUrl(
        fresh_db.user, db_password, fresh_db.host, fresh_db.port, fresh_db.database, fresh_db.params
    )
    env = {
        **os.environ,
        **sandbox_env(server.url, store),
        **secrets,
        "CHATWOOT_URL": server.url.replace("://", f"://agent:{url_password}@", 1),
        "HOTROD_DATABASE_URL": with_password.url,
        "HOTROD_HOME": str(tmp_path / "home"),
    }
    captured: list[str] = []
    try:
        ok = _run(["extract", "all", "--quiet"], env)
        captured += [ok.stdout, ok.stderr]
        assert ok.returncode == 0, ok.stderr[-2000:]

        bad = _run(["extract", "chatwoot", "--quiet"], {**env, "CHATWOOT_API_TOKEN": rejected})
        captured += [bad.stdout, bad.stderr]
        assert bad.returncode != 0 or "401" in bad.stdout + bad.stderr

        port = _free_port()
        receiver = subprocess.Popen(
            [HOTROD, "-v", "webhooks", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=support._default_signals,
        )
        try:
            _wait_for_port(port)
            shop = store.shops()[0]["domain"]
            customer = next(iter(store.iter_records("shopify", "customers", shop))).payload
            deliveries = sender.privacy_deliveries(shop, customer)[:2]  # request + redact
            report = sender.send(
                deliveries,
                f"http://127.0.0.1:{port}",
                shopify_secret=secrets["SHOPIFY_WEBHOOK_SECRET"],
                chatwoot_secret=secrets["CHATWOOT_WEBHOOK_SECRET"],
            )
            assert report.delivered == 2, report
            forged = sender.privacy_deliveries(shop, customer, seed=1)[:1]
            headers = sender.headers_for(forged[0], shopify_secret="wrong", chatwoot_secret=None)
            response = requests.post(
                f"http://127.0.0.1:{port}/webhooks/shopify",
                data=forged[0].body,
                headers=headers,
                timeout=10,
            )
            assert response.status_code == 401
            captured.append(response.text)
        finally:
            receiver.send_signal(signal.SIGTERM)
            try:
                out, _ = receiver.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                receiver.kill()
                out, _ = receiver.communicate()
            captured.append(out)

        privacy = _run(["privacy", "process"], env)
        captured += [privacy.stdout, privacy.stderr]
        assert privacy.returncode == 0, privacy.stdout + privacy.stderr
        assert "2 privacy deliveries handled" in privacy.stdout
    finally:
        server.stop()
        store.close()

    known = {**secrets, "rejected": rejected, "url password": url_password, "db": db_password}
    needles = list(known.values())
    text = "\n".join(captured) + _files_text(tmp_path)
    assert len(text) > 1000  # the runs did log
    leaked = [name for name, value in known.items() if value in text]
    assert leaked == [], f"secrets in logs or files: {leaked}"
    assert support.scan(fresh_db, needles) == []

    errors = support.query(
        fresh_db, "select error from raw_app.load_ledger where error is not null"
    )
    assert any("401" in row[0] for row in errors)  # the rejection is recorded, not the token
    assert any("agent:***@" in row[0] for row in errors)  # the URL is there, its password masked
