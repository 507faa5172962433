"""Chatwoot webhook bodies, as Chatwoot builds them, mapped to the records the REST extraction
lands (one mapping; docs/raw-landing.md, "Chatwoot webhooks").

Chatwoot's bodies differ from its REST records (``app/models/message.rb#webhook_data``,
``Conversations::EventDataPresenter#push_data``, ``Contact#webhook_data``): conversation events
carry no account, message events carry ``message_type`` as a name, ``created_at`` as a time
string and the conversation nested (no ``conversation_id``), contact events carry no times. The
mapping builds the landed shape from them:

- ``conversation_*`` -> raw_chatwoot.conversations: the REST keys the body carries, times as
  epoch seconds (``first_reply_created_at`` arrives as a time string, absent times as 0 ->
  null), ``account_id`` from the account the delivery came in for (the per-account webhook
  URL), ``meta.sender`` {id, name, email, phone_number} and ``meta.assignee`` {id, name} (the
  webhook's assignee has no email). The conversation's last message, embedded in the body in its
  REST form, lands in raw_chatwoot.messages too.
- ``message_*`` -> raw_chatwoot.messages: ``conversation_id`` from the nested conversation,
  ``inbox_id`` and ``account_id`` from the nested inbox and account, ``message_type`` name or
  number -> 0 incoming, 1 outgoing, 2 activity, 3 template; ``sender_type``/``sender_id`` from
  the sender. A ``message_created`` row is as new as the message; ``message_updated`` bodies
  carry no time, so the row is stamped with the time the delivery was received.
- ``contact_*`` -> raw_chatwoot.contacts, merged into the stored contact: name, email,
  phone_number, identifier and custom_attributes, plus ``last_activity_at`` when
  ``changed_attributes`` carries it. A contact first seen through a webhook gets no times
  (``updated_at`` 1970: any REST read replaces it); ``contact_created`` never changes a stored
  contact.

A webhook row replaces a stored one only when strictly newer, so a webhook's partial view never
overwrites what the REST API returned for the same moment; the next REST read of a record
replaces a webhook row of the same moment with the complete one. Other events (typing, inbox
events, ...) are stored in raw_app.webhook_events and not applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg2.extensions
from psycopg2.extras import Json

from extractors import landing
from extractors.chatwoot.shape import epoch, message_row
from extractors.records import RecordError, Row, dumps, make_row

CONVERSATION_EVENTS = frozenset(
    {"conversation_created", "conversation_updated", "conversation_status_changed"}
)
MESSAGE_EVENTS = frozenset({"message_created", "message_updated"})
CONTACT_EVENTS = frozenset({"contact_created", "contact_updated"})
EVENTS = CONVERSATION_EVENTS | MESSAGE_EVENTS | CONTACT_EVENTS
MESSAGE_TYPES = {"incoming": 0, "outgoing": 1, "activity": 2, "template": 3}
SENDER_TYPES = {
    "contact": "Contact",
    "user": "User",
    "agent_bot": "AgentBot",
    "captain_assistant": "Captain::Assistant",
}
CONVERSATION_KEYS = (
    "id",
    "inbox_id",
    "status",
    "priority",
    "labels",
    "custom_attributes",
    "additional_attributes",
)
CONVERSATION_TIMES = (
    "created_at",
    "updated_at",
    "last_activity_at",
    "timestamp",
    "first_reply_created_at",
    "waiting_since",
)
SENDER_KEYS = ("id", "name", "email", "phone_number")
CONTACT_KEYS = ("id", "name", "email", "phone_number", "identifier", "custom_attributes")
UNKNOWN_TIME = datetime(1970, 1, 1, tzinfo=UTC)


class Mapped:
    """What one delivery lands: rows per raw table, and how (see ``land``)."""

    def __init__(self) -> None:
        self.conversations: list[Row] = []
        self.messages: list[Row] = []
        self.contact: dict[str, Any] | None = None
        self.contact_time: datetime | None = None
        self.contact_created = False

    @property
    def table(self) -> str:
        if self.conversations:
            return "raw_chatwoot.conversations"
        if self.messages:
            return "raw_chatwoot.messages"
        return "raw_chatwoot.contacts"


def message_type(value: Any) -> int | None:
    """Chatwoot's message_type as its number: names (webhooks) and numbers (REST) alike."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip().lower() if value is not None else ""
    if text.isdigit():
        return int(text)
    return MESSAGE_TYPES.get(text)


def account_for(body: dict[str, Any], shop: str, accounts: Sequence[tuple[str, str]]) -> Any:
    """The delivery's account id: the body's ``account`` when it has one, else the account the
    shop is configured for (the receiver took it from the per-account URL)."""
    account = body.get("account")
    if isinstance(account, dict) and account.get("id") is not None:
        return account["id"]
    known = [a for a, s in accounts if s == shop]
    if len(known) == 1:
        return int(known[0]) if known[0].isdigit() else known[0]
    return body.get("account_id")


def conversation_record(body: dict[str, Any], account_id: Any) -> dict[str, Any]:
    record: dict[str, Any] = {k: body[k] for k in CONVERSATION_KEYS if k in body}
    record["account_id"] = account_id
    for key in CONVERSATION_TIMES:
        if key in body:
            record[key] = epoch(body[key])
    meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
    sender = meta.get("sender")
    assignee = meta.get("assignee")
    record["meta"] = {
        "sender": {k: sender.get(k) for k in SENDER_KEYS} if isinstance(sender, dict) else None,
        "assignee": (
            {"id": assignee.get("id"), "name": assignee.get("name")}
            if isinstance(assignee, dict) and assignee.get("id") is not None
            else None
        ),
    }
    return record


def message_record(
    body: dict[str, Any], account_id: Any, updated_at: int | float | None = None
) -> dict[str, Any]:
    """A message in the landed shape, from a webhook body or an embedded REST message."""
    conversation = body.get("conversation") if isinstance(body.get("conversation"), dict) else {}
    inbox = body.get("inbox") if isinstance(body.get("inbox"), dict) else {}
    account = body.get("account") if isinstance(body.get("account"), dict) else {}
    sender = body.get("sender") if isinstance(body.get("sender"), dict) else {}
    created = epoch(body.get("created_at"))
    sender_type = body.get("sender_type")
    if sender_type is None and sender.get("type") is not None:
        kind = str(sender["type"])
        sender_type = SENDER_TYPES.get(kind.lower(), kind)
    return {
        "id": body.get("id"),
        "conversation_id": conversation.get("id", body.get("conversation_id")),
        "account_id": account.get("id", body.get("account_id", account_id)),
        "inbox_id": inbox.get("id", body.get("inbox_id", conversation.get("inbox_id"))),
        "content": body.get("content"),
        "message_type": message_type(body.get("message_type")),
        "private": bool(body.get("private") or False),
        "created_at": created,
        "updated_at": updated_at or epoch(body.get("updated_at")) or created,
        "sender_type": sender_type,
        "sender_id": body.get("sender_id", sender.get("id")),
    }


def contact_record(body: dict[str, Any]) -> tuple[dict[str, Any], datetime | None]:
    """The contact's fields the body carries, and its activity time if ``changed_attributes``
    names one."""
    record = {k: body[k] for k in CONTACT_KEYS if k in body}
    when = None
    for change in body.get("changed_attributes") or []:
        if not isinstance(change, dict):
            continue
        for key in ("created_at", "last_activity_at"):
            current = (change.get(key) or {}).get("current_value") if key in change else None
            seconds = epoch(current)
            if seconds is not None:
                record[key] = seconds
                if key == "last_activity_at":
                    when = datetime.fromtimestamp(seconds, UTC)
    return record, when


def mapped(
    event: str,
    body: dict[str, Any],
    shop: str,
    accounts: Sequence[tuple[str, str]],
    received_at: datetime | None = None,
) -> Mapped:
    """The rows one delivery lands; RecordError (the quarantine reason) when it cannot."""
    out = Mapped()
    account_id = account_for(body, shop, accounts)
    if event in CONVERSATION_EVENTS:
        record = conversation_record(body, account_id)
        stamp = record.get("updated_at") or record.get("last_activity_at")
        out.conversations.append(make_row(record.get("id"), stamp, record, "updated_at"))
        for embedded in body.get("messages") or []:
            if isinstance(embedded, dict):
                out.messages.append(message_row(message_record(embedded, account_id)))
    elif event in MESSAGE_EVENTS:
        stamp = None
        if event == "message_updated":  # no time in the body: when it reached us
            stamp = int((received_at or datetime.now(UTC)).timestamp())
        record = message_record(body, account_id, stamp)
        if record["conversation_id"] is None:
            raise RecordError("no conversation id (neither conversation.id nor conversation_id)")
        if record["message_type"] is None:
            raise RecordError(f"unknown message_type {body.get('message_type')!r}")
        out.messages.append(message_row(record))
    elif event in CONTACT_EVENTS:
        record, when = contact_record(body)
        if record.get("id") in (None, ""):
            raise RecordError("missing id")
        dumps(record)  # must be storable
        out.contact, out.contact_time = record, when
        out.contact_created = event == "contact_created"
    return out


def land(cur: psycopg2.extensions.cursor, rows: Mapped, shop: str, batch_id: str) -> None:
    """Write a delivery's rows (strictly newer rows replace stored ones; contacts merge)."""
    for table, batch in (
        ("raw_chatwoot.conversations", rows.conversations),
        ("raw_chatwoot.messages", rows.messages),
    ):
        landing.upsert_rows(cur, table, shop, batch_id, batch, same_time_replaces=False)
    if rows.contact is not None:
        _merge_contact(cur, rows, shop, batch_id)


def _merge_contact(cur: psycopg2.extensions.cursor, rows: Mapped, shop: str, batch_id: str) -> None:
    record = dict(rows.contact or {})
    inserted = {"created_at": None, "last_activity_at": None, **record}
    cur.execute(
        """
        insert into raw_chatwoot.contacts as t
            (shop_domain, id, updated_at, payload, extracted_at, batch_id)
        values (%(shop)s, %(id)s, %(when)s, %(inserted)s, now(), %(batch)s)
        on conflict (shop_domain, id) do update set
            payload = t.payload || %(record)s,
            updated_at = greatest(t.updated_at, excluded.updated_at),
            extracted_at = excluded.extracted_at,
            batch_id = excluded.batch_id
        where not %(created)s and (not %(timed)s or excluded.updated_at >= t.updated_at)
        """,
        {
            "shop": shop,
            "id": str(record["id"]),
            "when": rows.contact_time or UNKNOWN_TIME,
            "inserted": Json(inserted, dumps=dumps),
            "record": Json(record, dumps=dumps),
            "batch": batch_id,
            "created": rows.contact_created,
            "timed": rows.contact_time is not None,
        },
    )
