"""Chatwoot webhook bodies for the sandbox's changes, built the way Chatwoot builds them.

What Chatwoot sends (``app/listeners/webhook_listener.rb``), and what this module renders from the
sandbox's records (the documented samples are in tests/fixtures/payloads/chatwoot/):

- conversation_created / _updated / _status_changed: ``Conversations::EventDataPresenter
  #push_data`` + ``event`` (+ ``changed_attributes`` for the two updates). No account. ``id`` is
  the display id; ``updated_at`` a float, ``first_reply_created_at`` a time string,
  ``waiting_since`` and the ``*_last_seen_at`` times ``.to_i`` (0 when absent); ``meta.sender`` and
  ``meta.assignee`` are the contact's and the agent's ``push_event_data``; ``messages`` holds the
  conversation's last chat message as the REST API renders it.
- message_created: ``Message#webhook_data`` + ``event``: ``message_type`` as its name,
  ``created_at`` a time string, ``sender``/``inbox``/``conversation``/``account`` nested, no
  ``conversation_id``, ``updated_at``, ``sender_type`` or ids of inbox and account at the top.
- contact_created / _updated: ``Contact#webhook_data`` + ``event`` (+ ``changed_attributes``):
  the account, the contact's fields, no times (an update names the changed times in
  ``changed_attributes``).

Chatwoot delivers an account's webhooks to the URL registered for that account; the sandbox
uses ``{receiver}/webhooks/chatwoot?account={id}`` (``webhook_path``). Values Chatwoot has but the
sandbox does not model are fixed: avatars empty, ``can_reply`` true, ``unread_count`` 0, seen
times 0, the contact inbox numbered like the conversation, the contact's ``pubsub_token`` derived
from its id.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from sandbox.generator.chatwoot import agent_payload, agents_by_account, inboxes_by_account
from sandbox.generator.shops import SHOPS

MESSAGE_TYPE_NAMES = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}
NAMESPACE = uuid.UUID("0d3a8c9e-5b7f-4f7e-9a55-7c2b1e9f4d21")
_ACCOUNTS = {shop.domain: shop for shop in SHOPS}
_CHANNELS = {inbox[0]: inbox for inboxes in inboxes_by_account().values() for inbox in inboxes}
_AGENTS = {
    agent.id: agent_payload(agent) for agents in agents_by_account().values() for agent in agents
}
# conversation columns whose changes Chatwoot lists in ``changed_attributes``
_TRACKED = (
    "status",
    "priority",
    "custom_attributes",
    "first_reply_created_at",
    "waiting_since",
    "last_activity_at",
)


def account_id(shop_domain: str) -> int | None:
    shop = _ACCOUNTS.get(shop_domain)
    return shop.chatwoot_account_id if shop else None


def webhook_path(shop_domain: str) -> str:
    """The receiver path of an account's Chatwoot webhooks (one URL registered per account)."""
    return f"/webhooks/chatwoot?account={account_id(shop_domain)}"


def _time(epoch: Any) -> str | None:
    """A time as Rails renders it in JSON (``2021-07-23T18:02:48.000Z``)."""
    if epoch in (None, 0):
        return None
    moment = datetime.fromtimestamp(float(epoch), UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _account(shop_domain: str) -> dict[str, Any]:
    shop = _ACCOUNTS.get(shop_domain)
    return {"id": account_id(shop_domain), "name": shop.name if shop else shop_domain}


def _contact_push(sender: dict[str, Any]) -> dict[str, Any]:
    token = hashlib.sha256(f"pubsub:{sender.get('id')}".encode()).hexdigest()[:24]
    return {
        "additional_attributes": {},
        "custom_attributes": {},
        "email": sender.get("email"),
        "id": sender.get("id"),
        "identifier": None,
        "name": sender.get("name"),
        "phone_number": sender.get("phone_number"),
        "pubsub_token": token,
        "thumbnail": "",
        "type": "contact",
    }


def _agent_push(assignee: dict[str, Any] | None) -> dict[str, Any] | None:
    if not assignee:
        return None
    agent = _AGENTS.get(assignee.get("id"), {})
    return {
        "id": assignee.get("id"),
        "name": assignee.get("name"),
        "available_name": assignee.get("name"),
        "avatar_url": "",
        "type": "user",
        "availability_status": agent.get("availability_status", "offline"),
    }


def _message_push(message: dict[str, Any]) -> dict[str, Any]:
    """A message as ``Message#push_event_data`` renders it (REST form, integer type)."""
    return {
        "id": message["id"],
        "content": message.get("content"),
        "account_id": message.get("account_id"),
        "inbox_id": message.get("inbox_id"),
        "conversation_id": message.get("conversation_id"),
        "message_type": message.get("message_type"),
        "created_at": message.get("created_at"),
        "updated_at": _time(message.get("updated_at") or message.get("created_at")),
        "private": bool(message.get("private")),
        "status": "sent",
        "source_id": None,
        "content_type": "text",
        "content_attributes": {},
        "sender_type": message.get("sender_type"),
        "sender_id": message.get("sender_id"),
        "external_source_ids": {},
    }


class ChatwootBodies:
    """Bodies for one ordered list of sandbox changes (a conversation's state, its last chat
    message and a contact's previous state are taken from the changes before each one)."""

    def __init__(self, changes: list[dict]) -> None:
        self._history: dict[tuple[str, str], list[dict]] = {}
        for change in changes:
            if change["source"] == "chatwoot" and change["entity"] == "conversations":
                key = (change["shop_domain"], str(change["id"]))
                self._history.setdefault(key, []).append(change["payload"])
        self._last_chat: dict[tuple[str, str], dict] = {}
        self._seen: dict[tuple[str, str, str], dict] = {}

    def body(self, change: dict) -> dict[str, Any]:
        entity, shop = change["entity"], change["shop_domain"]
        payload, topic = change["payload"], change["topic"]
        if entity == "conversations":
            return self._conversation_event(shop, payload, topic)
        if entity == "messages":
            return self._message_event(shop, payload, topic)
        return self._contact_event(shop, payload, topic)

    # --- conversations -----------------------------------------------------------------------

    def conversation_data(self, shop: str, c: dict[str, Any]) -> dict[str, Any]:
        """``Conversations::EventDataPresenter#push_data`` of a conversation."""
        inbox = _CHANNELS.get(c.get("inbox_id"))
        meta = c.get("meta") or {}
        sender = meta.get("sender") or {}
        last = self._last_chat.get((shop, str(c["id"])))
        created = c.get("created_at")
        return {
            "additional_attributes": c.get("additional_attributes") or {},
            "can_reply": True,
            "channel": inbox[2] if inbox else None,
            "contact_inbox": {
                "id": c["id"],
                "contact_id": sender.get("id"),
                "inbox_id": c.get("inbox_id"),
                "source_id": str(uuid.uuid5(NAMESPACE, f"{shop}:{c['id']}")),
                "created_at": _time(created),
                "updated_at": _time(created),
                "hmac_verified": False,
            },
            "id": c["id"],
            "inbox_id": c.get("inbox_id"),
            "messages": [_message_push(last)] if last else [],
            "labels": list(c.get("labels") or []),
            "meta": {
                "sender": _contact_push(sender),
                "assignee": _agent_push(meta.get("assignee")),
                "team": None,
                "hmac_verified": False,
            },
            "status": c.get("status"),
            "custom_attributes": c.get("custom_attributes") or {},
            "snoozed_until": None,
            "unread_count": 0,
            "first_reply_created_at": _time(c.get("first_reply_created_at")),
            "priority": c.get("priority"),
            "waiting_since": int(c.get("waiting_since") or 0),
            "agent_last_seen_at": 0,
            "contact_last_seen_at": 0,
            "last_activity_at": c.get("last_activity_at"),
            "timestamp": c.get("timestamp", c.get("last_activity_at")),
            "created_at": created,
            "updated_at": float(c.get("updated_at") or 0),
        }

    def _conversation_event(self, shop: str, c: dict[str, Any], topic: str) -> dict[str, Any]:
        body = {**self.conversation_data(shop, c), "event": topic}
        previous = self._seen.get((shop, "conversations", str(c["id"])))
        self._seen[(shop, "conversations", str(c["id"]))] = c
        if topic != "conversation_created":
            body["changed_attributes"] = _changes(previous, c)
        return body

    def _state_at(self, shop: str, conversation_id: str, moment: int) -> dict[str, Any] | None:
        states = self._history.get((shop, conversation_id)) or []
        before = [s for s in states if (s.get("updated_at") or 0) <= moment]
        return before[-1] if before else (states[0] if states else None)

    # --- messages ----------------------------------------------------------------------------

    def _message_event(self, shop: str, m: dict[str, Any], topic: str) -> dict[str, Any]:
        conversation_id = str(m.get("conversation_id"))
        if not m.get("private") and m.get("message_type") != 2:
            self._last_chat[(shop, conversation_id)] = m
        state = self._state_at(shop, conversation_id, int(m.get("created_at") or 0))
        inbox = _CHANNELS.get(m.get("inbox_id"))
        return {
            "id": m["id"],
            "content": m.get("content"),
            "created_at": _time(m.get("created_at")),
            "message_type": MESSAGE_TYPE_NAMES.get(m.get("message_type"), m.get("message_type")),
            "content_type": "text",
            "private": bool(m.get("private")),
            "content_attributes": {},
            "source_id": None,
            "sender": self._sender(m, state),
            "inbox": {"id": m.get("inbox_id"), "name": inbox[1] if inbox else None},
            "conversation": (
                self.conversation_data(shop, state)
                if state
                else {"id": m.get("conversation_id"), "inbox_id": m.get("inbox_id")}
            ),
            "account": _account(shop),
            "event": topic,
        }

    def _sender(self, m: dict[str, Any], state: dict[str, Any] | None) -> dict[str, Any] | None:
        """``sender.webhook_data``: {id, name, avatar, type} for a contact, {id, name, email,
        type} for an agent."""
        if m.get("sender_type") == "Contact":
            sender = ((state or {}).get("meta") or {}).get("sender") or {}
            name = sender.get("name")
            return {"id": m.get("sender_id"), "name": name, "avatar": "", "type": "contact"}
        if m.get("sender_type") == "User":
            agent = _AGENTS.get(m.get("sender_id"), {})
            return {
                "id": m.get("sender_id"),
                "name": agent.get("name"),
                "email": agent.get("email"),
                "type": "user",
            }
        return None

    # --- contacts ----------------------------------------------------------------------------

    def _contact_event(self, shop: str, c: dict[str, Any], topic: str) -> dict[str, Any]:
        body = {
            "account": _account(shop),
            "additional_attributes": {},
            "avatar": "",
            "custom_attributes": c.get("custom_attributes") or {},
            "email": c.get("email"),
            "id": c["id"],
            "identifier": c.get("identifier"),
            "name": c.get("name"),
            "phone_number": c.get("phone_number"),
            "thumbnail": "",
            "event": topic,
        }
        previous = self._seen.get((shop, "contacts", str(c["id"])))
        self._seen[(shop, "contacts", str(c["id"]))] = c
        if topic == "contact_updated":
            tracked = ("name", "email", "last_activity_at")
            body["changed_attributes"] = _changes(previous, c, tracked)
        return body


def _changes(
    before: dict[str, Any] | None, after: dict[str, Any], keys: tuple[str, ...] = _TRACKED
) -> list[dict[str, Any]]:
    """``changed_attributes``: one {attribute: {previous_value, current_value}} per change,
    times as time strings (Rails' ``previous_changes``)."""
    out = []
    for key in keys:
        old = (before or {}).get(key)
        new = after.get(key)
        if before is not None and old == new:
            continue
        if before is None and key != "last_activity_at":
            continue  # an update we saw nothing before: only its time is known to have moved
        if key.endswith("_at") or key == "waiting_since":
            old, new = _time(old), _time(new)
        out.append({key: {"previous_value": old, "current_value": new}})
    return out
