"""Where each query-root field's nodes come from, in cursor order."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sandbox.server.data import DataAccess
from sandbox.server.shopify.search import Search, parse_time

# root connection field -> (store entity or None when derived, node type)
CONNECTIONS: dict[str, tuple[str | None, str]] = {
    "orders": ("orders", "Order"),
    "products": ("products", "Product"),
    "customers": ("customers", "Customer"),
    "locations": ("locations", "Location"),
    "inventoryItems": (None, "InventoryItem"),
}
SINGLES: dict[str, str] = {
    "order": "Order",
    "product": "Product",
    "customer": "Customer",
    "location": "Location",
    "inventoryItem": "InventoryItem",
}
ENTITY_OF_TYPE = {t: e for e, t in CONNECTIONS.values() if e}
# Without the read_all_orders scope the Admin API returns only the last 60 days of orders.
ALL_ORDERS_SCOPE = "read_all_orders"
ORDER_WINDOW = timedelta(days=60)


def orders_since(data: DataAccess, scopes: tuple[str, ...]) -> datetime | None:
    """The oldest order creation time the app may see (None: all orders)."""
    return None if ALL_ORDERS_SCOPE in scopes else data.now - ORDER_WINDOW


def _visible(payload: dict, since: datetime | None) -> bool:
    created = payload.get("createdAt")
    return since is None or not created or parse_time(created) >= since


def cursor_key(updated_at: Any, record_id: str) -> dict:
    stamp = updated_at.isoformat() if isinstance(updated_at, datetime) else updated_at
    return {"u": stamp, "i": record_id}


def key_from_cursor(value: dict) -> tuple[Any, str]:
    stamp = value["u"]
    with contextlib.suppress(TypeError, ValueError):
        stamp = datetime.fromisoformat(stamp)
    return stamp, str(value["i"])


def iter_nodes(
    data: DataAccess,
    shop: str,
    root: str,
    search: Search,
    *,
    after: tuple[Any, str] | None = None,
    descending: bool = False,
    chunk: int = 2000,
    created_since: datetime | None = None,
) -> Iterator[tuple[dict, dict]]:
    """(payload, cursor key) for every node of a root connection matching the search
    (``created_since``: orders created earlier are hidden, see ``orders_since``)."""
    entity, _ = CONNECTIONS[root]
    if entity is None:
        items = data.inventory_items(shop)
        if descending:
            items = list(reversed(items))
        for item in items:
            stamp = parse_time(item["updatedAt"]) if item["updatedAt"] else None
            key = (stamp, item["id"])
            if (
                after is not None
                and stamp is not None
                and ((key <= after) if not descending else (key >= after))
            ):
                continue
            if stamp is None or search.matches(stamp, item):
                yield item, cursor_key(stamp, item["id"])
        return
    lower, upper = search.bounds("updatedAt")
    for rec in data.scan(
        "shopify",
        entity,
        shop,
        updated_since=lower,
        updated_until=upper,
        after=after,
        descending=descending,
        chunk=chunk,
    ):
        if search.matches(rec.updated_at, rec.payload) and (
            entity != "orders" or _visible(rec.payload, created_since)
        ):
            yield rec.payload, cursor_key(rec.updated_at, rec.id)


def get_node(
    data: DataAccess,
    shop: str,
    type_name: str,
    gid: str,
    created_since: datetime | None = None,
) -> dict | None:
    if type_name == "InventoryItem":
        return next((i for i in data.inventory_items(shop) if i["id"] == gid), None)
    entity = ENTITY_OF_TYPE.get(type_name)
    if entity is None:
        return None
    payload = data.get("shopify", entity, shop, gid)
    if payload is not None and entity == "orders" and not _visible(payload, created_since):
        return None
    return payload
