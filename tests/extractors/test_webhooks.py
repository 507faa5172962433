"""Webhook receiver: signatures, malformed bodies, privacy topics, sandbox deliveries.

Shopify change notices against the documented bodies: test_shopify_notices.py."""

from __future__ import annotations

import json
import time

import pytest
import requests

from extractors.settings import WebhookSettings
from extractors.webhooks.server import start_receiver
from extractors.webhooks.verify import chatwoot_signature, shopify_signature
from tests.extractors.sandbox_helpers import query

SHOP = "hot-rod-an.sandbox.test"
SECRET = "test_shopify_secret"
CW_SECRET = "test_chatwoot_secret"


def _settings(**kw) -> WebhookSettings:
    base = dict(
        shopify_secret=SECRET,
        chatwoot_secret=CW_SECRET,
        chatwoot_accounts=(("1", SHOP),),
        default_shop=SHOP,
    )
    return WebhookSettings(**{**base, **kw})


@pytest.fixture
def receiver(fresh_db):
    running = start_receiver(fresh_db, _settings())
    yield running
    running.stop()


def _order(number: int, updated: str, total: str = "10.00") -> dict:
    """A REST-format orders/updated body (the receiver fetches the order it names)."""
    gid = f"gid://shopify/Order/{number}"
    return {"id": number, "admin_graphql_api_id": gid, "updated_at": updated, "total_price": total}


def _post_shopify(
    base: str,
    body: bytes,
    *,
    topic="orders/updated",
    event="e1",
    secret=SECRET,
    signature: str | None = None,
):
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Event-Id": event,
        "X-Shopify-Webhook-Id": f"w-{event}",
        "X-Shopify-Hmac-Sha256": signature or shopify_signature(secret, body),
        "Content-Type": "application/json",
    }
    return requests.post(f"{base}/webhooks/shopify", data=body, headers=headers, timeout=10)


def _count(url, table: str) -> int:
    return query(url, f"select count(*) from {table}")[0][0]


def test_forged_shopify_webhook_is_rejected_and_nothing_stored(receiver, fresh_db):
    body = json.dumps(_order(1, "2026-03-01T10:00:00Z")).encode()
    forged = _post_shopify(receiver.url, body, secret="not-the-secret")
    assert forged.status_code == 401
    missing = _post_shopify(receiver.url, body, signature="bm90LWEtc2lnbmF0dXJl")
    assert missing.status_code == 401
    tampered_sig = shopify_signature(SECRET, body)
    tampered = _post_shopify(receiver.url, body.replace(b"10.00", b"99.00"), signature=tampered_sig)
    assert tampered.status_code == 401
    assert _count(fresh_db, "raw_app.webhook_events") == 0
    assert _count(fresh_db, "raw_shopify.orders") == 0


def test_malformed_json_is_rejected_and_nothing_stored(receiver, fresh_db):
    body = b'{"id": 1, "admin_graphql_api_id": '
    answer = _post_shopify(receiver.url, body)
    assert answer.status_code == 400
    stamp = str(int(time.time()))
    cw = requests.post(
        f"{receiver.url}/webhooks/chatwoot",
        data=b"not json",
        headers={
            "X-Chatwoot-Timestamp": stamp,
            "X-Chatwoot-Signature": chatwoot_signature(CW_SECRET, stamp, b"not json"),
        },
        timeout=10,
    )
    assert cw.status_code == 400
    assert _count(fresh_db, "raw_app.webhook_events") == 0


@pytest.mark.parametrize("topic", ["customers/data_request", "customers/redact", "shop/redact"])
def test_privacy_topics_are_stored_for_the_security_jobs(receiver, fresh_db, topic):
    body = json.dumps({"shop_domain": SHOP, "customer": {"id": 5, "email": "a@b.c"}}).encode()
    assert _post_shopify(receiver.url, body, topic=topic, event=topic).status_code == 200
    rows = query(fresh_db, "select topic, processed_at, payload from raw_app.webhook_events")
    assert rows == [(topic, None, {"shop_domain": SHOP, "customer": {"id": 5, "email": "a@b.c"}})]
    assert _count(fresh_db, "raw_app.quarantine") == 0


def _conversation(updated: int) -> dict:
    return {
        "event": "conversation_updated",
        "id": 77,
        "account_id": 1,
        "account": {"id": 1},
        "status": "open",
        "created_at": 1700000000,
        "updated_at": updated,
        "last_activity_at": updated,
    }


def _post_chatwoot(base, body: bytes, *, secret=CW_SECRET, signed=True, delivery="c1"):
    headers = {"Content-Type": "application/json", "X-Chatwoot-Delivery": delivery}
    if signed:
        stamp = str(int(time.time()))
        headers["X-Chatwoot-Timestamp"] = stamp
        headers["X-Chatwoot-Signature"] = chatwoot_signature(secret, stamp, body)
    return requests.post(f"{base}/webhooks/chatwoot", data=body, headers=headers, timeout=10)


def test_chatwoot_signature_is_verified(receiver, fresh_db):
    body = json.dumps(_conversation(1700000500)).encode()
    assert _post_chatwoot(receiver.url, body, secret="wrong").status_code == 401
    assert _post_chatwoot(receiver.url, body, signed=False).status_code == 401
    assert _count(fresh_db, "raw_app.webhook_events") == 0
    assert _post_chatwoot(receiver.url, body).status_code == 200
    rows = query(fresh_db, "select shop_domain, id, payload from raw_chatwoot.conversations")
    assert len(rows) == 1 and rows[0][0] == SHOP and rows[0][1] == "77"
    assert "event" not in rows[0][2] and rows[0][2]["status"] == "open"


def test_unsigned_chatwoot_accepted_only_when_allowed(fresh_db):
    body = json.dumps(_conversation(1700000600)).encode()
    strict = start_receiver(fresh_db, _settings(chatwoot_secret=""))
    try:
        assert _post_chatwoot(strict.url, body, signed=False).status_code == 401
    finally:
        strict.stop()
    lenient = start_receiver(fresh_db, _settings(chatwoot_secret="", chatwoot_allow_unsigned=True))
    try:
        assert _post_chatwoot(lenient.url, body, signed=False).status_code == 200
    finally:
        lenient.stop()
    assert _count(fresh_db, "raw_chatwoot.conversations") == 1


def test_sandbox_changes_delivered_as_webhooks_land_newest(own_store, fresh_db):
    """A day of sandbox changes, delivered shuffled with duplicates, leaves raw == the store
    (Shopify; Chatwoot in test_chatwoot_webhooks.py)."""
    from extractors import run
    from tests.extractors.conftest import FAST_RETRIES, serve
    from tests.extractors.sandbox_helpers import (
        canon,
        raw_payloads,
        sandbox_settings,
        store_payloads,
    )

    sender = pytest.importorskip("sandbox.webhook_sender")
    server = serve(own_store)
    try:
        cfg = sandbox_settings(server.url, own_store)
        for entity in ("orders", "products", "customers", "inventory_levels"):
            run.extract_entity(
                fresh_db,
                cfg,
                "shopify",
                entity,
                options=run.RunOptions(progress=False, policy=FAST_RETRIES),
            )
        for entity in ("conversations", "contacts"):
            run.extract_entity(
                fresh_db,
                cfg,
                "chatwoot",
                entity,
                options=run.RunOptions(progress=False, policy=FAST_RETRIES),
            )
        requests.post(f"{server.url}/_sandbox/advance", json={"days": 1}, timeout=120)
        changes = requests.get(f"{server.url}/_sandbox/changes", timeout=60).json()["changes"]
        deliveries = sender.build_deliveries(changes, seed=1)
        receiving = start_receiver(fresh_db, cfg.webhooks())  # fetches from the stand-in
        try:
            report = sender.send(deliveries, receiving.url, duplicates=25, shuffle=True, seed=1)
        finally:
            receiving.stop()
    finally:
        server.stop()
    assert report.failed == 0
    events = query(fresh_db, "select count(*), count(applied_at) from raw_app.webhook_events")[0]
    assert events[0] == len(deliveries)
    shopify = query(
        fresh_db,
        "select count(*), count(applied_at), count(distinct event_id) "
        "from raw_app.webhook_events where source = 'shopify'",
    )[0]
    assert shopify[0] == shopify[1] > 0  # every change notice applied
    assert shopify[2] < shopify[0]  # topics of one action share their Event-Id
    assert query(fresh_db, "select count(*) from raw_app.quarantine") == [(0,)]
    # Chatwoot bodies (their real shape and its mapping): tests/extractors/test_chatwoot_webhooks.py
    for source, entity in {(c["source"], c["entity"]) for c in changes if c["source"] == "shopify"}:
        raw = raw_payloads(fresh_db, source, entity)
        expected = store_payloads(own_store, source, entity)
        stale = [k for k in expected if k not in raw or canon(raw[k]) != canon(expected[k])]
        assert not stale, f"{source}.{entity}: {len(stale)} rows differ, e.g. {stale[:3]}"
