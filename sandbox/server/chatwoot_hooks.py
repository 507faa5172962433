"""Chatwoot account webhooks (``GET``/``POST /api/v1/accounts/{id}/webhooks``), in memory.

Objects as the OpenAPI ``webhook`` schema: id, url, name, subscriptions, secret, account_id.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

# the swagger's webhook_create_update_payload.subscriptions enum
EVENTS = frozenset(
    {
        "conversation_created",
        "conversation_status_changed",
        "conversation_updated",
        "message_created",
        "message_updated",
        "contact_created",
        "contact_updated",
        "webwidget_triggered",
        "conversation_typing_on",
        "conversation_typing_off",
    }
)


class ChatwootHooks:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hooks: list[dict[str, Any]] = []

    def list(self, account_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(h) for h in self._hooks if h["account_id"] == account_id]

    def create(self, account_id: int, given: Any) -> tuple[int, Any]:
        if not isinstance(given, dict) or not str(given.get("url") or "").startswith("http"):
            return 422, {"message": "Url is invalid"}
        events = given.get("subscriptions") or []
        if not isinstance(events, list) or any(e not in EVENTS for e in events):
            return 422, {"message": "Subscriptions Invalid events"}
        with self._lock:
            if any(h["account_id"] == account_id and h["url"] == given["url"] for h in self._hooks):
                return 422, {"message": "Url has already been taken"}
            hook = {
                "id": len(self._hooks) + 1,
                "url": given["url"],
                "name": given.get("name"),
                "subscriptions": list(events),
                "secret": secrets.token_hex(16),
                "account_id": account_id,
            }
            self._hooks.append(hook)
            return 200, dict(hook)
