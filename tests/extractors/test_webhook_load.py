"""The receiver under load and odd bytes (issue 20 item 6): 500 concurrent signed deliveries all
stored, none refused; a busy pool or unreachable database answers 503 with Retry-After; a body
jsonb cannot hold is stored raw and quarantined, answered 200; stale Chatwoot signatures refused."""

from __future__ import annotations

import json
import statistics
import threading
import time

import pytest
import requests
from psycopg2.pool import PoolError

from extractors.settings import WebhookSettings
from extractors.webhooks import server as http
from extractors.webhooks.server import start_receiver
from extractors.webhooks.verify import CHATWOOT_MAX_AGE_S, chatwoot_signature, shopify_signature
from tests.extractors.sandbox_helpers import query

SHOP = "hot-rod-an.sandbox.test"
SECRET = "load_shopify_secret"
CW_SECRET = "load_chatwoot_secret"
CONCURRENT = 500
SETTINGS = WebhookSettings(
    shopify_secret=SECRET,
    chatwoot_secret=CW_SECRET,
    chatwoot_accounts=(("1", SHOP),),
    default_shop=SHOP,
)


@pytest.fixture
def receiver(fresh_db):
    running = start_receiver(fresh_db, SETTINGS)
    yield running
    running.stop()


def _order_body(number: int, name: str = "") -> bytes:
    gid = f"gid://shopify/Order/{number}"
    node = {
        "id": gid,
        "name": name or f"#{number}",
        "updatedAt": "2026-03-01T10:00:00Z",
        "createdAt": "2026-03-01T09:00:00Z",
        "totalPriceSet": {"shopMoney": {"amount": "10.00", "currencyCode": "USD"}},
        "lineItems": [],
        "refunds": [],
        "fulfillments": [],
    }
    body = {"id": number, "admin_graphql_api_id": gid, "graphql_node": node}
    return json.dumps(body).encode()


def _post(base: str, body: bytes, event: str, timeout: float = 60) -> requests.Response:
    headers = {
        "X-Shopify-Topic": "orders/updated",
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": event,
        "X-Shopify-Event-Id": f"action-{event}",
        "X-Shopify-Hmac-Sha256": shopify_signature(SECRET, body),
        "Content-Type": "application/json",
    }
    return requests.post(f"{base}/webhooks/shopify", data=body, headers=headers, timeout=timeout)


def test_500_concurrent_signed_deliveries_are_all_stored_none_refused(receiver, fresh_db):
    bodies = [_order_body(n) for n in range(CONCURRENT)]
    start = threading.Barrier(CONCURRENT)
    outcomes: list[object] = [None] * CONCURRENT
    latencies: list[float] = [0.0] * CONCURRENT

    def send(n: int) -> None:
        start.wait()  # every sender connects at the same moment
        began = time.monotonic()
        try:
            outcomes[n] = _post(receiver.url, bodies[n], f"load-{n}").status_code
        except requests.RequestException as exc:  # refused / reset / timed out
            outcomes[n] = type(exc).__name__
        latencies[n] = time.monotonic() - began

    threads = [threading.Thread(target=send, args=(n,)) for n in range(CONCURRENT)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    failures = [o for o in outcomes if o != 200]
    stored = query(fresh_db, "select count(*) from raw_app.webhook_events")[0][0]
    ordered = sorted(latencies)
    print(
        f"\n{CONCURRENT} concurrent deliveries: {stored} stored, {len(failures)} not 200, "
        f"latency p50 {statistics.median(ordered):.2f}s p95 {ordered[int(0.95 * CONCURRENT)]:.2f}s "
        f"max {ordered[-1]:.2f}s"
    )
    assert failures == []
    assert stored == CONCURRENT  # each then lands by an Admin API fetch (pending without one)


def test_no_database_connection_answers_503_with_retry_after(receiver, fresh_db, monkeypatch):
    def exhausted():
        raise PoolError("connection pool exhausted")

    monkeypatch.setattr(receiver.receiver.pool, "getconn", exhausted)
    answer = _post(receiver.url, _order_body(1), "busy")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == str(http.RETRY_AFTER_S)
    monkeypatch.undo()
    assert _post(receiver.url, _order_body(1), "busy").status_code == 200  # the retry lands


def test_too_many_waiting_deliveries_answer_503_with_retry_after(receiver, monkeypatch):
    monkeypatch.setattr(http, "MAX_WAITING", 0)
    answer = _post(receiver.url, _order_body(2), "queue-full")
    assert (answer.status_code, answer.headers.get("Retry-After")) == (503, str(http.RETRY_AFTER_S))


def test_a_nul_escape_body_is_stored_raw_quarantined_and_answered_200(receiver, fresh_db):
    body = _order_body(7, name="#7\u0000x")
    assert b"\\u0000" in body
    answer = _post(receiver.url, body, "nul")
    assert answer.status_code == 200 and answer.json()["status"] == "stored; quarantined"
    events = query(fresh_db, "select delivery_id, payload, applied_at from raw_app.webhook_events")
    assert events == [("nul", None, None)]
    rows = query(fresh_db, "select reason, raw_text, batch_id from raw_app.quarantine")
    assert len(rows) == 1 and "jsonb" in rows[0][0] and rows[0][2] == "webhook:nul"
    assert rows[0][1].encode() == body  # the raw body, byte for byte
    again = _post(receiver.url, body, "nul")  # a retry is a duplicate, not a second quarantine
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert query(fresh_db, "select count(*) from raw_app.quarantine")[0][0] == 1
    assert _post(receiver.url, _order_body(8), "after").status_code == 200


def _post_chatwoot(base: str, body: bytes, stamp: int) -> requests.Response:
    headers = {
        "Content-Type": "application/json",
        "X-Chatwoot-Delivery": f"cw-{stamp}",
        "X-Chatwoot-Timestamp": str(stamp),
        "X-Chatwoot-Signature": chatwoot_signature(CW_SECRET, str(stamp), body),
    }
    return requests.post(f"{base}/webhooks/chatwoot", data=body, headers=headers, timeout=10)


def test_chatwoot_signatures_outside_the_replay_window_are_refused(receiver, fresh_db):
    body = json.dumps(
        {"event": "conversation_updated", "id": 5, "account": {"id": 1}, "status": "open"}
    ).encode()
    now = int(time.time())
    for stale in (now - CHATWOOT_MAX_AGE_S - 60, now + CHATWOOT_MAX_AGE_S + 60):
        refused = _post_chatwoot(receiver.url, body, stale)
        assert refused.status_code == 401 and "from now" in refused.json()["error"]
    assert query(fresh_db, "select count(*) from raw_app.webhook_events")[0][0] == 0
    assert _post_chatwoot(receiver.url, body, now - 30).status_code == 200
