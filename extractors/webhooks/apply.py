"""From a verified delivery to rows: which raw table, which row, or why it cannot be applied."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from extractors.chatwoot import webhooks as chatwoot_webhooks
from extractors.records import RecordError, Row, make_row
from extractors.shopify import queries, shape

PRIVACY_TOPICS = frozenset({"customers/data_request", "customers/redact", "shop/redact"})

# GID type -> (raw table, entity query used to shape it)
_SHOPIFY_TYPES: dict[str, str] = {
    "Order": "orders",
    "Product": "products",
    "Customer": "customers",
    "Location": "locations",
    "InventoryLevel": "inventory_levels",
    "InventoryItem": "inventory_levels",
    "Shop": "shops",
}
_ENTITY_QUERIES = {e.entity: e for e in queries.ENTITIES}


@dataclass
class Applied:
    table: str | None  # schema.table, None when nothing is to be applied
    rows: list[Row]
    reason: str | None = None  # why it could not be applied (quarantine reason)
    # lands the delivery itself (cursor, shop, batch id) instead of a plain upsert of ``rows``
    land: Callable[[Any, str, str], None] | None = None


def shopify_rows(topic: str, body: Any) -> Applied:
    if topic in PRIVACY_TOPICS:
        return Applied(None, [])
    node = body.get("graphql_node") if isinstance(body, dict) else None
    if not isinstance(node, dict):
        return Applied(None, [], f"shopify {topic}: body has no graphql_node to apply")
    gid_type = str(node.get("id", "")).split("/")[-2:-1]
    entity = _SHOPIFY_TYPES.get(gid_type[0] if gid_type else "")
    if entity is None:
        return Applied(None, [], f"shopify {topic}: unsupported node id {node.get('id')!r}")
    try:
        single = entity == "shops" or (
            entity == "inventory_levels" and "inventoryLevels" not in node
        )
        if single:
            rows = [make_row(node.get("id"), node.get("updatedAt"), node)]
        else:
            query = _ENTITY_QUERIES[entity]
            rows = list(shape.rows_for(query, shape.flatten_paginated(query, node)))
    except RecordError as exc:
        return Applied(None, [], f"shopify {topic}: {exc}")
    return Applied(f"raw_shopify.{entity}", rows)


def chatwoot_rows(
    event: str, body: Any, shop: str | None = None, accounts: Sequence[tuple[str, str]] = ()
) -> Applied:
    """Chatwoot: the mapping lives with the Chatwoot extractor (extractors/chatwoot/webhooks)."""
    if event not in chatwoot_webhooks.EVENTS:
        return Applied(None, [])  # stored, not applied (typing, inbox events, ...)
    if not isinstance(body, dict):
        return Applied(None, [], f"chatwoot {event}: the body is not an object")
    try:
        rows = chatwoot_webhooks.mapped(event, body, shop or "", accounts)
    except RecordError as exc:
        return Applied(None, [], f"chatwoot {event}: {exc}")

    def land(cur: Any, shop_domain: str, batch_id: str) -> None:
        chatwoot_webhooks.land(cur, rows, shop_domain, batch_id)

    return Applied(rows.table, [], land=land)
