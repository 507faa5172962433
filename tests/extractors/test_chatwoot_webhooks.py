"""Chatwoot webhooks in their real shape (issue 13): the documented bodies, correctly signed,
through the real receiver into raw and the CX models; the sandbox's changes delivered the way
Chatwoot delivers them land what the REST extraction lands."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from extractors import run
from extractors.chatwoot import webhooks
from extractors.records import RecordError
from extractors.settings import WebhookSettings
from extractors.webhooks.server import start_receiver
from extractors.webhooks.verify import chatwoot_signature
from sandbox.generator.shops import SHOPS
from tests.extractors.conftest import FAST_RETRIES, serve
from tests.extractors.sandbox_helpers import (
    canon,
    query,
    raw_payloads,
    sandbox_settings,
    store_payloads,
)
from tests.extractors.test_chatwoot_resume import assert_chatwoot_exact
from tests.support.dbt_runs import failure_summary, run_dbt_isolated

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "payloads" / "chatwoot"
SHOP = SHOPS[0].domain
SECRET = "test_chatwoot_secret"
# the order a conversation's life would deliver them in
ORDER = (
    "contact_created",
    "conversation_created",
    "message_created",
    "conversation_updated",
    "conversation_status_changed",
    "contact_updated",
)


def _body(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def _post(base: str, raw: bytes, delivery: str, account: int | None = 1) -> requests.Response:
    stamp = str(int(time.time()))  # signatures older than the replay window are refused
    headers = {
        "Content-Type": "application/json",
        "X-Chatwoot-Delivery": delivery,
        "X-Chatwoot-Timestamp": stamp,
        "X-Chatwoot-Signature": chatwoot_signature(SECRET, stamp, raw),
    }
    path = "/webhooks/chatwoot" + (f"?account={account}" if account is not None else "")
    return requests.post(base + path, data=raw, headers=headers, timeout=10)


def _settings(accounts=(("1", SHOP),)) -> WebhookSettings:
    return WebhookSettings(chatwoot_secret=SECRET, chatwoot_accounts=accounts, default_shop=SHOP)


def _rows(url, table: str) -> dict[str, dict]:
    return {rid: payload for rid, payload in query(url, f"select id, payload from {table}")}


def test_message_type_names_and_numbers_are_both_understood():
    assert [webhooks.message_type(v) for v in ("incoming", "Outgoing", 2, "3", "template")] == [
        0,
        1,
        2,
        3,
        3,
    ]
    assert webhooks.message_type("nonsense") is None and webhooks.message_type(True) is None


def test_a_message_body_without_a_conversation_is_refused_with_the_reason():
    body = json.loads(_body("message_created"))
    body.pop("conversation")
    with pytest.raises(RecordError, match="no conversation id"):
        webhooks.mapped("message_created", body, SHOP, (("1", SHOP),))


def test_the_six_documented_bodies_land_the_records_they_name(fresh_db):
    receiver = start_receiver(fresh_db, _settings())
    try:
        for number, name in enumerate(ORDER):
            answer = _post(receiver.url, _body(name), f"d-{number}")
            assert answer.status_code == 200, answer.text
            assert answer.json()["status"] == "applied", (name, answer.json())
        # a replay stores nothing new; an older body after a newer one changes nothing
        assert _post(receiver.url, _body("message_created"), "d-2").json()["status"] == "duplicate"
        older = _post(receiver.url, _body("conversation_updated"), "late-delivery")
        assert older.json()["status"] == "applied"
    finally:
        receiver.stop()
    assert query(fresh_db, "select count(*) from raw_app.quarantine")[0][0] == 0
    assert query(fresh_db, "select count(*) from raw_app.webhook_events")[0][0] == 7
    conversations = _rows(fresh_db, "raw_chatwoot.conversations")
    messages = _rows(fresh_db, "raw_chatwoot.messages")
    contacts = _rows(fresh_db, "raw_chatwoot.contacts")
    assert set(conversations) == {"10"} and set(messages) == {"118", "120"}
    assert set(contacts) == {"14"}

    conversation = conversations["10"]
    # the newest state (status_changed), not the late, older conversation_updated body
    assert conversation["status"] == "resolved"
    assert conversation["account_id"] == 1  # from the per-account URL: the body has no account
    assert conversation["first_reply_created_at"] == 1627063500  # a time string in the body
    assert conversation["waiting_since"] == 1627063368
    assert conversation["updated_at"] == 1627063520.5
    assert conversation["meta"]["assignee"] == {"id": 1, "name": "John"}
    assert conversation["meta"]["sender"]["id"] == 14
    assert "pubsub_token" not in json.dumps(conversation)  # the contact's socket token
    assert "event" not in conversation and "changed_attributes" not in conversation
    stored_at = query(fresh_db, "select updated_at from raw_chatwoot.conversations")[0][0]
    assert stored_at.timestamp() == 1627063520.5

    incoming = messages["118"]
    assert incoming["conversation_id"] == 10  # from the nested conversation
    assert (incoming["inbox_id"], incoming["account_id"]) == (1, 1)
    assert incoming["message_type"] == 0 and incoming["created_at"] == 1627063368
    assert (incoming["sender_type"], incoming["sender_id"]) == ("Contact", 14)
    embedded = messages["120"]  # the conversation's last message, carried in its events
    assert embedded["message_type"] == 3 and embedded["conversation_id"] == 10

    contact = contacts["14"]
    assert contact["name"] == "Jane" and contact["email"] == "jane@acme.inc"
    assert contact["custom_attributes"] == {"shopify_customer_id": "706405506930370084"}
    assert contact["created_at"] is None  # contact bodies carry no times: unknown, not made up


def test_a_conversation_body_needs_the_per_account_url_when_several_accounts_exist(fresh_db):
    accounts = (("1", SHOP), ("2", SHOPS[1].domain))
    receiver = start_receiver(fresh_db, _settings(accounts))
    try:
        lost = _post(receiver.url, _body("conversation_created"), "x-1", account=None)
        assert lost.json()["status"] == "stored; quarantined"
        found = _post(receiver.url, _body("conversation_created"), "x-2", account=2)
        assert found.json()["status"] == "applied"
        # message and contact bodies carry their account
        assert _post(receiver.url, _body("message_created"), "x-3", None).json()["status"] == (
            "applied"
        )
    finally:
        receiver.stop()
    shops = dict(query(fresh_db, "select id, shop_domain from raw_chatwoot.conversations"))
    assert shops == {"10": SHOPS[1].domain}
    reason = query(fresh_db, "select reason from raw_app.quarantine")[0][0]
    assert "?account=N" in reason


def test_the_cx_models_build_over_the_documented_bodies(fresh_db, tmp_path):
    receiver = start_receiver(fresh_db, _settings())
    try:
        for number, name in enumerate(ORDER):
            assert _post(receiver.url, _body(name), f"d-{number}").status_code == 200
    finally:
        receiver.stop()
    result = run_dbt_isolated(
        fresh_db,
        ["build", "--select", "+v_cx_escalations", "+v_cx_health_summary"]
        + ["--indirect-selection", "cautious"],
        tmp_path,
        as_of="2021-07-24T00:00:00Z",
    )
    assert result.returncode == 0, failure_summary(result)
    conversations = query(
        fresh_db,
        f"select chatwoot_conversation_id, status, assignee_id "
        f"from {_schema_of(fresh_db, 'cx_conversations')}.cx_conversations",
    )
    assert conversations == [(10, "resolved", 1)]
    messages = query(
        fresh_db,
        "select message_id, conversation_id, message_type, message_direction "
        f"from {_schema_of(fresh_db, 'stg_chatwoot__messages')}.stg_chatwoot__messages "
        "order by message_id",
    )
    assert messages == [(118, 10, 0, "incoming"), (120, 10, 3, "template")]


def _schema_of(url, relation: str) -> str:
    rows = query(
        url, "select table_schema from information_schema.tables where table_name = %s", (relation,)
    )
    assert len(rows) == 1, rows
    return rows[0][0]


def _project(table: str, payload: dict) -> dict:
    """What a webhook row is documented to carry: conversations' assignee without its email
    (the webhook's assignee has none)."""
    if table == "conversations" and (payload.get("meta") or {}).get("assignee"):
        assignee = payload["meta"]["assignee"]
        short = {"id": assignee["id"], "name": assignee["name"]}
        payload = {**payload, "meta": {**payload["meta"], "assignee": short}}
    return payload


def test_sandbox_changes_delivered_like_chatwoot_land_what_the_api_returns(own_store, fresh_db):
    sender = pytest.importorskip("sandbox.webhook_sender")
    server = serve(own_store)
    opts = run.RunOptions(progress=False, policy=FAST_RETRIES, processes=False)
    try:
        cfg = sandbox_settings(server.url, own_store)
        run.extract_source(fresh_db, cfg, "chatwoot", opts)
        assert requests.post(f"{server.url}/_sandbox/advance", json={"days": 1}).ok
        changes = requests.get(f"{server.url}/_sandbox/changes", timeout=60).json()["changes"]
        chatwoot = [c for c in changes if c["source"] == "chatwoot"]
        assert {c["entity"] for c in chatwoot} >= {"conversations", "messages", "contacts"}
        receiving = start_receiver(fresh_db, cfg.webhooks())
        try:
            deliveries = sender.build_deliveries(chatwoot, seed=3)
            report = sender.send(deliveries, receiving.url, duplicates=15, shuffle=True, seed=3)
        finally:
            receiving.stop()
        assert report.failed == 0
        assert query(fresh_db, "select count(*) from raw_app.quarantine")[0][0] == 0
        events = query(fresh_db, "select count(*), count(applied_at) from raw_app.webhook_events")
        assert events[0] == (len(deliveries), len(deliveries))
        for entity in ("conversations", "messages", "contacts"):
            raw = raw_payloads(fresh_db, "chatwoot", entity)
            expected = store_payloads(own_store, "chatwoot", entity)
            assert raw.keys() == expected.keys(), entity
            created_by_webhook = {
                (c["shop_domain"], str(c["id"]))
                for c in chatwoot
                if c["topic"] == "contact_created"
            }
            stale = []
            for key, want in expected.items():
                have = raw[key]
                if entity == "contacts" and key in created_by_webhook:
                    # documented: a contact body carries no times; they stay unknown
                    assert have["created_at"] is None
                    times = ("created_at", "last_activity_at")
                    have = {**have, **{t: want[t] for t in times if have[t] is None}}
                if canon(_project(entity, have)) != canon(_project(entity, want)):
                    stale.append(key)
            assert not stale, f"chatwoot.{entity}: {len(stale)} differ, e.g. {stale[:3]}"
        # and the next REST increment completes the webhook rows: exact, field for field
        run.extract_source(fresh_db, cfg, "chatwoot", opts)
    finally:
        server.stop()
    assert_chatwoot_exact(fresh_db, own_store)
