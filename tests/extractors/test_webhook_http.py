"""The webhook receiver's HTTP layer (starlette on uvicorn): health, limits, timeouts, stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from extractors.settings import WebhookSettings
from extractors.webhooks import server as http
from warehouse.settings import REPO_ROOT

SETTINGS = WebhookSettings(shopify_secret="s", default_shop="hot-rod-an.sandbox.test")


@pytest.fixture
def running(fresh_db):
    receiving = http.start_receiver(fresh_db, SETTINGS)
    yield receiving
    receiving.stop()


def test_health_and_unknown_paths_answer_json(running):
    health = requests.get(f"{running.url}/health", timeout=10)
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert health.headers["content-type"] == "application/json"
    for method in (requests.get, requests.post):
        missing = method(f"{running.url}/nowhere", timeout=10)
        assert (missing.status_code, missing.json()) == (404, {"error": "not found"})


def test_a_body_over_the_limit_is_refused_declared_or_streamed(running, monkeypatch):
    monkeypatch.setattr(http, "MAX_BODY", 1000)
    url = f"{running.url}/webhooks/shopify"
    declared = requests.post(url, data=b"x" * 2000, timeout=10)
    assert declared.status_code == 413
    streamed = requests.post(url, data=(b"x" * 100 for _ in range(20)), timeout=10)  # chunked
    assert streamed.status_code == 413
    small = requests.post(url, data=b"{}", timeout=10)
    assert small.status_code == 401  # reached the Receiver: unsigned


def test_a_client_too_slow_to_send_its_body_gets_408(running, monkeypatch):
    monkeypatch.setattr(http, "BODY_TIMEOUT_S", 0.5)
    host, port = running.server.server_address
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(
            b"POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789"
        )
        answer = sock.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 408")


def _reset_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def test_hotrod_webhooks_serve_stops_gracefully_on_sigterm(fresh_db):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, HOTROD_DATABASE_URL=fresh_db.url, SHOPIFY_WEBHOOK_SECRET="s")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hotrod.cli", "webhooks", "serve", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_reset_signals,  # noqa: PLW1509 - background shells ignore SIGTERM
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            pytest.fail("the receiver did not answer /health")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "listening on" in proc.stderr.read()
