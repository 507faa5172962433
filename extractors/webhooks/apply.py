"""From a verified delivery to rows: which raw table, which row, or why it cannot be applied."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
_CHATWOOT_PREFIXES = {
    "conversation": ("conversations", "updated_at", ("last_activity_at",)),
    "message": ("messages", "updated_at", ("created_at",)),
    "contact": ("contacts", "last_activity_at", ("created_at",)),
}
# keys Chatwoot adds to webhook bodies that are not part of the API record
_CHATWOOT_ENVELOPE = ("event", "account")


@dataclass
class Applied:
    table: str | None  # schema.table, None when nothing is to be applied
    rows: list[Row]
    reason: str | None = None  # why it could not be applied (quarantine reason)


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


def chatwoot_rows(event: str, body: Any) -> Applied:
    prefix = event.split("_", 1)[0]
    spec = _CHATWOOT_PREFIXES.get(prefix)
    if spec is None or not isinstance(body, dict):
        return Applied(None, [], f"chatwoot {event}: event not applied to a raw table")
    table, stamp, fallbacks = spec
    node = body.get("node") if isinstance(body.get("node"), dict) else None
    if node is None:
        node = {k: v for k, v in body.items() if k not in _CHATWOOT_ENVELOPE}
    when = node.get(stamp)
    for name in fallbacks:
        when = when or node.get(name)
    try:
        row = make_row(node.get("id"), when, node, stamp)
    except RecordError as exc:
        return Applied(None, [], f"chatwoot {event}: {exc}")
    return Applied(f"raw_chatwoot.{table}", [row])
