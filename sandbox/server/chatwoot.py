"""Chatwoot Application API stand-in: conversations, messages, agents, inboxes, contacts.

Shapes follow the Chatwoot OpenAPI description (``conversation_list``, the messages response,
``agent``, the inboxes response, ``contacts_list_response``); page sizes as Chatwoot's: 25
conversations (newest activity first), 20 messages, 15 contacts (ascending id).
"""

from __future__ import annotations

from typing import Any

from sandbox.server.data import DataAccess
from sandbox.server.faults import FaultInjector

CONVERSATIONS_PER_PAGE = 25
MESSAGES_PER_PAGE = 20
CONTACTS_PER_PAGE = 15
STATUSES = ("open", "resolved", "pending", "snoozed")

Response = tuple[int, Any]


def _page(params: dict[str, str]) -> int:
    try:
        return max(1, int(params.get("page", "1")))
    except ValueError:
        return 1


def _as_served(conversation: dict) -> dict:
    """Chatwoot omits ``meta.assignee`` for unassigned conversations (its jbuilder only adds
    the key when there is an assignee); the landed shape stores it as null."""
    meta = conversation.get("meta")
    if isinstance(meta, dict) and meta.get("assignee", 0) is None:
        meta = {k: v for k, v in meta.items() if k != "assignee"}
        return {**conversation, "meta": meta}
    return conversation


def _maybe_corrupt(faults: FaultInjector, payload: dict) -> dict:
    if faults.is_malformed(f"chatwoot:{payload.get('id')}"):
        return {**payload, "id": None}
    return payload


class Chatwoot:
    def __init__(self, data: DataAccess, faults: FaultInjector) -> None:
        self.data = data
        self.faults = faults

    def route(self, account_id: int, rest: list[str], params: dict[str, str]) -> Response:
        shop = self.data.shop_for_account(account_id)
        if shop is None:
            return 404, {"error": "Resource could not be found"}
        domain = shop["domain"]
        if rest == ["conversations"]:
            return self.conversations(domain, params)
        if len(rest) == 3 and rest[0] == "conversations" and rest[2] == "messages":
            return self.messages(domain, rest[1], params)
        if rest == ["agents"]:
            return 200, [
                _maybe_corrupt(self.faults, r.payload)
                for r in self.data.scan("chatwoot", "agents", domain)
            ]
        if rest == ["inboxes"]:
            return 200, {
                "payload": [r.payload for r in self.data.scan("chatwoot", "inboxes", domain)]
            }
        if rest == ["contacts"]:
            return self.contacts(domain, params)
        return 404, {"error": "Resource could not be found"}

    def conversations(self, shop: str, params: dict[str, str]) -> Response:
        status = params.get("status", "open")
        if status not in (*STATUSES, "all"):
            return 422, {"error": f"Invalid status {status!r}"}
        matching, assigned, unassigned = self._listing(shop, status)
        assignee = params.get("assignee_type", "all")
        chosen = {"assigned": assigned, "unassigned": unassigned, "mine": []}.get(
            assignee, matching
        )
        page = _page(params)
        start = (page - 1) * CONVERSATIONS_PER_PAGE
        rows = []
        for record_id, _, _ in chosen[start : start + CONVERSATIONS_PER_PAGE]:
            payload = self.data.get("chatwoot", "conversations", shop, record_id)
            if payload is not None:
                rows.append(_maybe_corrupt(self.faults, _as_served(payload)))
        meta = {
            "mine_count": 0,
            "assigned_count": len(assigned),
            "unassigned_count": len(unassigned),
            "all_count": len(matching),
        }
        return 200, {"data": {"meta": meta, "payload": rows}}

    def _listing(self, shop: str, status: str) -> tuple[list, list, list]:
        """(matching, assigned, unassigned) conversations of a status filter, built once per
        shop and filter (not per page: a large shop lists ~100,000 conversations)."""

        def build() -> tuple[list, list, list]:
            index = self.data.conversation_order(shop)
            matching = [row for row in index if status == "all" or row[1] == status]
            assigned = [row for row in matching if row[2]]
            unassigned = [row for row in matching if not row[2]]
            return matching, assigned, unassigned

        return self.data.cached(("conversation-listing", shop, status), build)

    def messages(self, shop: str, conversation_id: str, params: dict[str, str]) -> Response:
        conversation = self.data.get("chatwoot", "conversations", shop, conversation_id)
        if conversation is None:
            return 404, {"error": "Resource could not be found"}
        records = self.data.page("chatwoot", "messages", shop, parent_id=conversation_id)
        rows = sorted((r.payload for r in records), key=lambda m: int(m.get("id") or 0))
        try:
            if params.get("after"):
                after = int(params["after"])
                rows = [m for m in rows if int(m["id"]) > after][:MESSAGES_PER_PAGE]
            else:
                if params.get("before"):
                    before = int(params["before"])
                    rows = [m for m in rows if int(m["id"]) < before]
                rows = rows[-MESSAGES_PER_PAGE:]
        except ValueError:
            return 422, {"error": "before/after must be message ids"}
        meta_src = conversation.get("meta") or {}
        meta = {
            "labels": conversation.get("labels") or [],
            "additional_attributes": conversation.get("additional_attributes") or {},
            "contact": meta_src.get("sender"),
            "assignee": meta_src.get("assignee"),
            "agent_last_seen_at": None,
            "assignee_last_seen_at": None,
        }
        return 200, {"meta": meta, "payload": [_maybe_corrupt(self.faults, m) for m in rows]}

    def contacts(self, shop: str, params: dict[str, str]) -> Response:
        ids = self.data.id_order("chatwoot", "contacts", shop)
        page = _page(params)
        start = (page - 1) * CONTACTS_PER_PAGE
        rows = []
        for record_id in ids[start : start + CONTACTS_PER_PAGE]:
            payload = self.data.get("chatwoot", "contacts", shop, record_id)
            if payload is not None:
                rows.append(_maybe_corrupt(self.faults, payload))
        return 200, {"meta": {"count": len(ids), "current_page": page}, "payload": rows}
