"""The sandbox's Chatwoot webhook bodies have the shape of the bodies Chatwoot documents
(tests/fixtures/payloads/chatwoot/), so the stand-in cannot drift toward the receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sandbox import chatwoot_bodies
from sandbox.generator.shops import SHOPS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "payloads" / "chatwoot"
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def bodies() -> Iterator[dict[str, list[dict]]]:
    """Every body of a day of the sandbox's Chatwoot changes, by event."""
    store_mod = pytest.importorskip("sandbox.store")
    store = store_mod.SandboxStore.open(orders=1000, seed=7, now=NOW)
    try:
        changes = [
            {
                "source": c.source,
                "entity": c.entity,
                "shop_domain": c.shop_domain,
                "id": c.id,
                "topic": c.topic,
                "payload": c.payload,
            }
            for c in store.advance(days=3)
            if c.source == "chatwoot"
        ]
    finally:
        store.close()
    builder = chatwoot_bodies.ChatwootBodies(changes)
    out: dict[str, list[dict]] = {}
    for change in changes:
        body = builder.body(change)
        out.setdefault(body["event"], []).append(body)
    return out


def test_every_event_the_sandbox_sends_is_one_chatwoot_documents(bodies):
    assert set(bodies) <= {p.stem for p in FIXTURES.glob("*.json")}
    assert {"conversation_created", "message_created", "contact_updated"} <= set(bodies)


@pytest.mark.parametrize(
    "event",
    ["conversation_created", "conversation_updated", "conversation_status_changed"],
)
def test_conversation_bodies_have_the_documented_keys(bodies, event):
    sample = _fixture(event)
    for body in bodies.get(event, []):
        assert list(body) == list(sample)  # the same keys, in Chatwoot's order
        assert "account" not in body and "account_id" not in body
        assert list(body["meta"]) == list(sample["meta"])
        assert list(body["meta"]["sender"]) == list(sample["meta"]["sender"])
        if body["meta"]["assignee"] is not None and sample["meta"]["assignee"] is not None:
            assert list(body["meta"]["assignee"]) == list(sample["meta"]["assignee"])
        assert list(body["contact_inbox"]) == list(sample["contact_inbox"])
        for message in body["messages"]:
            assert list(message) == list(sample["messages"][0])
            assert isinstance(message["message_type"], int)
        assert isinstance(body["updated_at"], float)
        assert isinstance(body["waiting_since"], int)  # 0 when nobody waits
        assert body["first_reply_created_at"] is None or body["first_reply_created_at"].endswith(
            "Z"
        )


def test_message_bodies_have_the_documented_keys(bodies):
    sample = _fixture("message_created")
    expected = list(sample)
    conversation_keys = [k for k in _fixture("conversation_created") if k != "event"]
    assert bodies["message_created"]
    for body in bodies["message_created"]:
        assert list(body) == expected
        assert body["message_type"] in ("incoming", "outgoing", "activity", "template")
        assert isinstance(body["created_at"], str) and body["created_at"].endswith("Z")
        assert "conversation_id" not in body and "updated_at" not in body
        assert list(body["conversation"]) == conversation_keys
        assert list(body["inbox"]) == list(sample["inbox"])
        assert list(body["account"]) == list(sample["account"])
        if body["message_type"] == "incoming":
            assert list(body["sender"]) == list(sample["sender"])


@pytest.mark.parametrize("event", ["contact_created", "contact_updated"])
def test_contact_bodies_have_the_documented_keys_and_no_times(bodies, event):
    sample = _fixture(event)
    for body in bodies.get(event, []):
        assert list(body) == list(sample)
        assert not {"created_at", "last_activity_at", "updated_at"} & set(body)
        assert list(body["account"]) == list(sample["account"])


def test_each_account_has_its_own_webhook_url():
    paths = {shop.domain: chatwoot_bodies.webhook_path(shop.domain) for shop in SHOPS}
    assert paths == {
        shop.domain: f"/webhooks/chatwoot?account={shop.chatwoot_account_id}" for shop in SHOPS
    }
