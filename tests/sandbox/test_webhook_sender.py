"""The webhook sender: signatures per the documented algorithms, duplicates, retries, order."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from sandbox import webhook_sender as ws
from sandbox.server import start_server
from sandbox.signing import verify_chatwoot, verify_shopify
from tests.sandbox.fake_store import FakeStore


class Receiver:
    """Records every POST; answers 500 to the first ``fail_first`` attempts of each delivery."""

    def __init__(self, fail_first: int = 0) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.fail_first = fail_first
        self.attempts: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = dict(self.headers.items())
                receiver.requests.append((self.path, headers, body))
                key = headers.get("X-Shopify-Webhook-Id") or headers.get("X-Chatwoot-Delivery")
                receiver.attempts[key] = receiver.attempts.get(key, 0) + 1
                status = 500 if receiver.attempts[key] <= receiver.fail_first else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def changes() -> list[dict]:
    running = start_server(FakeStore(orders=5))
    try:
        requests.post(f"{running.url}/_sandbox/advance", json={"days": 1}, timeout=30)
        return ws.fetch_changes(running.url)
    finally:
        running.stop()


def test_shopify_signature_is_base64_hmac_of_raw_body(receiver, changes):
    report = ws.send(ws.build_deliveries(changes), receiver.url, shopify_secret="s3cret")
    assert report.delivered == 3 and report.failed == 0
    shopify = [r for r in receiver.requests if r[0] == "/webhooks/shopify"]
    assert [h["X-Shopify-Topic"] for _, h, _ in shopify] == ["orders/create", "orders/updated"]
    for _, headers, body in shopify:
        expected = base64.b64encode(hmac.new(b"s3cret", body, hashlib.sha256).digest()).decode()
        assert headers["X-Shopify-Hmac-Sha256"] == expected
        assert verify_shopify("s3cret", body, headers["X-Shopify-Hmac-Sha256"])
        assert not verify_shopify("other", body, headers["X-Shopify-Hmac-Sha256"])
        assert headers["X-Shopify-Shop-Domain"] == "hot-rod-an.sandbox.test"
        assert headers["X-Shopify-API-Version"] == "2026-07"
        assert headers["X-Shopify-Event-Id"] and headers["X-Shopify-Triggered-At"]
        payload = json.loads(body)  # a REST resource (keys: tests/sandbox/test_shopify_bodies.py)
        assert "graphql_node" not in payload
        assert payload["admin_graphql_api_id"] == f"gid://shopify/Order/{payload['id']}"
        assert isinstance(payload["id"], int)
    # orders/create and orders/updated of one new order: one merchant action, two deliveries
    assert len({h["X-Shopify-Webhook-Id"] for _, h, _ in shopify}) == 2


def test_chatwoot_signature_follows_the_openapi_description(receiver, changes):
    ws.send(ws.build_deliveries(changes), receiver.url, chatwoot_secret="cw-secret")
    (request,) = [r for r in receiver.requests if r[0].startswith("/webhooks/chatwoot")]
    path, headers, body = request
    timestamp = headers["X-Chatwoot-Timestamp"]
    digest = hmac.new(b"cw-secret", f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["X-Chatwoot-Signature"] == f"sha256={digest}"
    assert verify_chatwoot("cw-secret", timestamp, body, headers["X-Chatwoot-Signature"])
    assert not verify_chatwoot(
        "cw-secret", str(int(timestamp) + 1), body, headers["X-Chatwoot-Signature"]
    )
    payload = json.loads(body)
    assert payload["event"] == "conversation_status_changed"
    # as Chatwoot sends it: no account in a conversation body, the account's own URL instead
    assert payload["status"] == "resolved" and "account" not in payload
    assert path == "/webhooks/chatwoot?account=1"


def test_unsigned_chatwoot(receiver, changes):
    ws.send(ws.build_deliveries(changes), receiver.url, chatwoot_secret=None)
    (request,) = [r for r in receiver.requests if r[0].startswith("/webhooks/chatwoot")]
    assert "X-Chatwoot-Signature" not in request[1]
    assert "X-Chatwoot-Delivery" in request[1]


def test_duplicates_keep_their_ids_and_shuffle_is_seeded(receiver, changes):
    deliveries = ws.build_deliveries(changes)
    report = ws.send(deliveries, receiver.url, duplicates=4, shuffle=True, seed=5)
    assert report.duplicates == 4 and report.delivered == 7
    ids = [
        h.get("X-Shopify-Webhook-Id") or h["X-Chatwoot-Delivery"] for _, h, _ in receiver.requests
    ]
    assert len(ids) == 7 and len(set(ids)) == 3
    order_a, _ = ws.plan(deliveries, duplicates=4, shuffle=True, seed=5)
    order_b, _ = ws.plan(deliveries, duplicates=4, shuffle=True, seed=5)
    assert [d.delivery_id for d in order_a] == [d.delivery_id for d in order_b] == ids


def test_failed_deliveries_are_retried_with_the_same_ids(changes):
    receiver = Receiver(fail_first=1)
    try:
        report = ws.send(ws.build_deliveries(changes), receiver.url, backoff=0)
    finally:
        receiver.stop()
    assert report.delivered == 3 and report.retries == 3 and report.failed == 0
    assert report.statuses == {500: 3, 200: 3}
    assert set(receiver.attempts.values()) == {2}


def test_gives_up_after_max_attempts(changes):
    receiver = Receiver(fail_first=99)
    try:
        report = ws.send(ws.build_deliveries(changes), receiver.url, max_attempts=2, backoff=0)
    finally:
        receiver.stop()
    assert report.failed == 3 and report.delivered == 0


def test_privacy_topics(receiver):
    customer = {"id": "gid://shopify/Customer/7", "defaultEmailAddress": {"emailAddress": "a@b.c"}}
    deliveries = ws.privacy_deliveries("hot-rod-an.sandbox.test", customer)
    ws.send(deliveries, receiver.url, shopify_secret="k")
    topics = [h["X-Shopify-Topic"] for _, h, _ in receiver.requests]
    assert topics == ["customers/data_request", "customers/redact", "shop/redact"]
    redact = json.loads(receiver.requests[1][2])
    assert redact["customer"] == {"id": 7, "email": "a@b.c", "phone": None}
    assert redact["shop_domain"] == "hot-rod-an.sandbox.test"
    assert all(verify_shopify("k", b, h["X-Shopify-Hmac-Sha256"]) for _, h, b in receiver.requests)
