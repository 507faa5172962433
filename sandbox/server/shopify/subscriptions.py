"""The app's webhook subscriptions per shop: ``webhookSubscriptions`` and
``webhookSubscriptionCreate`` (Admin API 2026-07), held in memory for the server's life."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any


class Subscriptions:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_shop: dict[str, list[dict[str, Any]]] = {}
        self._next = 1

    def list(self, shop: str, topics: list[str] | None = None, uri: str | None = None) -> list:
        with self._lock:
            return [
                dict(s)
                for s in self._by_shop.get(shop, [])
                if (not topics or s["topic"] in topics) and (uri is None or s["uri"] == uri)
            ]

    def create(self, shop: str, topic: str, given: dict[str, Any]) -> tuple[dict | None, list]:
        """(the subscription, []) or (None, userErrors) as Shopify answers them."""
        uri = given.get("uri") or given.get("callbackUrl")
        field = ["webhookSubscription", "uri"]
        if not uri:
            return None, [{"field": field, "message": "Address can't be blank"}]
        with self._lock:
            shop_subs = self._by_shop.setdefault(shop, [])
            if any(s["topic"] == topic and s["uri"] == uri for s in shop_subs):
                message = "Address for this topic has already been taken"
                return None, [{"field": field, "message": message}]
            number = self._next
            self._next += 1
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            subscription = {
                "id": f"gid://shopify/WebhookSubscription/{number}",
                "legacyResourceId": str(number),
                "topic": topic,
                "uri": uri,
                "callbackUrl": uri,
                "format": given.get("format") or "JSON",
                "filter": given.get("filter"),
                "includeFields": list(given.get("includeFields") or []),
                "metafieldNamespaces": list(given.get("metafieldNamespaces") or []),
                "name": given.get("name"),
                "createdAt": now,
                "updatedAt": now,
            }
            shop_subs.append(subscription)
            return dict(subscription), []
