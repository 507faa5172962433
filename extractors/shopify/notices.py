"""Shopify webhooks as change notices: which record a delivery names, and its authoritative form.

A Shopify webhook body is a REST resource (snake_case, numeric ``id``, ``admin_graphql_api_id``),
not what the extractors land. The receiver treats it as a notice that a record changed: this
module says which record (its GID and raw table) and fetches it through the Admin GraphQL API with
the extraction's own node selection (``nodes(ids:)``, batched), so a row landed from a webhook is
the row an extraction would land. Delete topics name the record to mark deleted (no fetch).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from extractors.errors import QueryCostError
from extractors.records import RecordError, Row, make_row
from extractors.shopify import nested, queries, shape
from extractors.shopify.client import ShopifyClient

# topic -> (GID type of the record to land, the body key holding its numeric id; None: the body
# is the record itself, ``admin_graphql_api_id`` or ``id``). SPEC §2 lists these topics.
UPSERT_TOPICS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "orders/create": ("Order", None),
    "orders/updated": ("Order", None),
    "orders/fulfilled": ("Order", None),
    "orders/paid": ("Order", None),
    "orders/cancelled": ("Order", None),
    "orders/edited": ("Order", ("order_edit", "order_id")),
    "refunds/create": ("Order", ("order_id",)),
    "fulfillments/create": ("Order", ("order_id",)),
    "fulfillments/update": ("Order", ("order_id",)),
    "inventory_levels/update": ("InventoryItem", ("inventory_item_id",)),
    "inventory_items/update": ("InventoryItem", None),
    "products/create": ("Product", None),
    "products/update": ("Product", None),
    "customers/create": ("Customer", None),
    "customers/update": ("Customer", None),
    "shop/update": ("Shop", None),
}
DELETE_TOPICS: dict[str, str] = {
    "orders/delete": "Order",
    "products/delete": "Product",
    "customers/delete": "Customer",
}
PRIVACY_TOPICS = frozenset({"customers/data_request", "customers/redact", "shop/redact"})
# every topic `hotrod webhooks register` subscribes to (privacy topics are set in the app's
# configuration, not through the API)
TOPICS: tuple[str, ...] = (*UPSERT_TOPICS, *DELETE_TOPICS)

ENTITY_OF_TYPE = {t: e for e, t in queries.NODE_TYPES.items()} | {"Shop": "shops"}
_QUERIES = {e.entity: e for e in queries.ENTITIES}
# ids per nodes(ids:) request (Shopify accepts 250); a request over the cost limit halves it
BATCH = {"orders": 25, "products": 50, "inventory_levels": 50, "customers": 250}


@dataclass(frozen=True)
class Notice:
    topic: str
    gid: str  # the record to fetch (upserts) or to mark deleted
    entity: str  # raw_shopify table
    delete: bool = False


def notice(topic: str, body: Any) -> Notice | None:
    """The record a delivery names; None for privacy topics (stored for the security jobs).

    Raises RecordError (the delivery is quarantined) for an unknown topic or a body that names
    no record."""
    if topic in PRIVACY_TOPICS:
        return None
    if not isinstance(body, dict):
        raise RecordError(f"shopify {topic}: the body is not an object")
    if topic in DELETE_TOPICS:
        type_name = DELETE_TOPICS[topic]
        return Notice(topic, _gid(topic, type_name, body, None), ENTITY_OF_TYPE[type_name], True)
    if topic not in UPSERT_TOPICS:
        raise RecordError(f"shopify {topic}: not a topic the receiver handles")
    type_name, path = UPSERT_TOPICS[topic]
    return Notice(topic, _gid(topic, type_name, body, path), ENTITY_OF_TYPE[type_name])


def _gid(topic: str, type_name: str, body: dict[str, Any], path: tuple[str, ...] | None) -> str:
    prefix = f"gid://shopify/{type_name}/"
    if path is None:
        named = body.get("admin_graphql_api_id")
        if isinstance(named, str) and named.startswith(prefix):
            return named.split("?", 1)[0]
        value: Any = body.get("id")
    else:
        value = body
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        where = ".".join(path or ("id",))
        raise RecordError(f"shopify {topic}: no {type_name} id in the body ({where})")
    return f"{prefix}{value}"


def fetch(
    client: ShopifyClient, entity: str, gids: Sequence[str]
) -> Iterator[tuple[list[str], dict[str, Any] | None, str | None]]:
    """(the GIDs asked, the node or None when the API returned none, why the node cannot be
    landed or None) for each distinct record.

    Batched ``nodes(ids:)`` requests; THROTTLED is waited out by the client (cost-based), a batch
    over the single-query cost limit is split in halves. A node whose nested connections (line
    items, variants, inventory levels) have more pages is read to the end first, as an
    extraction does (``nested.complete``): a notice never lands a truncated record."""
    if entity == "shops":
        node = client.query(queries.SHOP_DOCUMENT).get("shop")
        yield list(gids), node if isinstance(node, dict) else None, None
        return
    distinct = list(dict.fromkeys(gids))
    size = BATCH.get(entity, 50)
    start = 0
    document = queries.nodes_document(_QUERIES[entity])
    while start < len(distinct):
        batch = distinct[start : start + size]
        try:
            found = client.query(document, {"ids": batch}).get("nodes") or []
        except QueryCostError:
            if size == 1:
                raise
            size = max(1, size // 2)
            continue
        for gid, node in zip(batch, found, strict=False):
            if not isinstance(node, dict) or not node.get("id"):
                yield [gid], None, None
                continue
            complete, problem = nested.complete(client, _QUERIES[entity], node)
            yield [gid], complete, problem
        start += len(batch)


def rows(entity: str, node: dict[str, Any]) -> list[Row]:
    """The rows an extraction lands for this node (raises RecordError for a bad record)."""
    if entity == "shops":
        return [make_row(node.get("id"), node.get("updatedAt"), node)]
    query = _QUERIES[entity]
    return list(shape.rows_for(query, shape.flatten_paginated(query, node)))
