"""Shopify webhook bodies as Shopify sends them: REST-format resources, nothing else.

Each body is built from the sandbox record with keys of the topic's documented sample payload
only (Shopify's webhook reference, API 2026-07; copies with provenance in
``tests/fixtures/payloads/shopify/``, which ``tests/sandbox/test_shopify_bodies.py`` checks every
body against): snake_case, numeric ``id``, ``admin_graphql_api_id``, money as decimal strings.
A body carries a subset of the documented keys (what the sandbox knows), never a key Shopify does
not send. Delete topics carry ``{"id": N}`` as documented for products/delete.
"""

from __future__ import annotations

from typing import Any

DELETE_TOPICS = frozenset({"orders/delete", "products/delete", "customers/delete"})


def numeric_id(gid: Any) -> int | str:
    tail = str(gid or "").split("?", 1)[0].rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else tail


def _money(value: Any) -> str | None:
    amount = ((value or {}).get("shopMoney") or {}).get("amount")
    return None if amount is None else str(amount)


def _lower(value: Any) -> str | None:
    return value.lower() if isinstance(value, str) else None


def _tags(value: Any) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value or "")


def order_body(node: dict) -> dict[str, Any]:
    """orders/* (Shopify publishes one order body for every orders/* topic)."""
    status = _lower(node.get("displayFulfillmentStatus"))
    return {
        "id": numeric_id(node.get("id")),
        "admin_graphql_api_id": node.get("id"),
        "cancelled_at": node.get("cancelledAt"),
        "closed_at": node.get("closedAt"),
        "created_at": node.get("createdAt"),
        "currency": node.get("currencyCode"),
        "financial_status": _lower(node.get("displayFinancialStatus")),
        "fulfillment_status": None if status == "unfulfilled" else status,
        "name": node.get("name"),
        "processed_at": node.get("processedAt"),
        "source_name": node.get("sourceName"),
        "subtotal_price": _money(node.get("subtotalPriceSet")),
        "tags": _tags(node.get("tags")),
        "test": bool(node.get("test")),
        "total_discounts": _money(node.get("totalDiscountsSet")),
        "total_price": _money(node.get("totalPriceSet")),
        "updated_at": node.get("updatedAt"),
        "line_items": [_line_item(line) for line in node.get("lineItems") or []],
    }


def _line_item(line: dict) -> dict[str, Any]:
    return {
        "id": numeric_id(line.get("id")),
        "admin_graphql_api_id": line.get("id"),
        "current_quantity": line.get("currentQuantity", line.get("quantity")),
        "price": _money(line.get("originalUnitPriceSet")),
        "product_id": numeric_id((line.get("product") or {}).get("id")) or None,
        "quantity": line.get("quantity"),
        "sku": line.get("sku"),
        "title": line.get("title"),
        "variant_id": numeric_id((line.get("variant") or {}).get("id")) or None,
        "vendor": line.get("vendor"),
    }


def fulfillment_body(node: dict) -> dict[str, Any]:
    """fulfillments/create and /update: the order's newest fulfillment."""
    fulfillment = max(node.get("fulfillments") or [{}], key=lambda f: f.get("updatedAt") or "")
    location = (fulfillment.get("location") or {}).get("id")
    return {
        "id": numeric_id(fulfillment.get("id")),
        "order_id": numeric_id(node.get("id")),
        "status": _lower(fulfillment.get("status")),
        "created_at": fulfillment.get("createdAt"),
        "updated_at": fulfillment.get("updatedAt"),
        "location_id": numeric_id(location) if location else None,
        "name": f"{node.get('name')}.1",
        "admin_graphql_api_id": fulfillment.get("id"),
    }


def inventory_level_body(node: dict) -> dict[str, Any]:
    quantities = {q.get("name"): q.get("quantity") for q in node.get("quantities") or []}
    item = numeric_id((node.get("item") or {}).get("id"))
    location = numeric_id((node.get("location") or {}).get("id"))
    return {
        "inventory_item_id": item,
        "location_id": location,
        "available": quantities.get("available"),
        "updated_at": node.get("updatedAt"),
        # as Shopify forms it: the location id, the item as a query parameter
        "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{location}?inventory_item_id={item}",
    }


def product_body(node: dict) -> dict[str, Any]:
    product_id = numeric_id(node.get("id"))
    return {
        "admin_graphql_api_id": node.get("id"),
        "created_at": node.get("createdAt"),
        "handle": node.get("handle"),
        "id": product_id,
        "product_type": node.get("productType"),
        "status": _lower(node.get("status")),
        "tags": _tags(node.get("tags")),
        "title": node.get("title"),
        "updated_at": node.get("updatedAt"),
        "vendor": node.get("vendor"),
        "variants": [
            {
                "admin_graphql_api_id": v.get("id"),
                "compare_at_price": v.get("compareAtPrice"),
                "created_at": v.get("createdAt"),
                "id": numeric_id(v.get("id")),
                "inventory_item_id": numeric_id((v.get("inventoryItem") or {}).get("id")) or None,
                "price": v.get("price"),
                "product_id": product_id,
                "sku": v.get("sku"),
                "title": v.get("title"),
                "updated_at": v.get("updatedAt"),
            }
            for v in node.get("variants") or []
        ],
    }


def order_edit_body(node: dict) -> dict[str, Any]:
    """orders/edited: the committed edit of the order as of ``node`` (the sandbox's edits only
    remove units, before any refund: each line's removed units are quantity - currentQuantity).
    Only keys of the documented OrderEdit body the sandbox knows (no edit id, staff, app)."""
    removals = [
        {"id": numeric_id(line.get("id")), "delta": line["quantity"] - line["currentQuantity"]}
        for line in node.get("lineItems") or []
        if isinstance(line.get("quantity"), int)
        and isinstance(line.get("currentQuantity"), int)
        and line["quantity"] > line["currentQuantity"]
    ]
    return {
        "order_edit": {
            "created_at": node.get("updatedAt"),
            "committed_at": node.get("updatedAt"),
            "order_id": numeric_id(node.get("id")),
            "line_items": {"additions": [], "removals": removals},
        }
    }


def refund_body(node: dict) -> dict[str, Any]:
    """refunds/create: the order's newest refund (a Refund REST resource, without the line
    items and transactions the sandbox's order node does not carry)."""
    refund = max(node.get("refunds") or [{}], key=lambda r: r.get("createdAt") or "")
    return {
        "id": numeric_id(refund.get("id")),
        "order_id": numeric_id(node.get("id")),
        "created_at": refund.get("createdAt"),
        "note": refund.get("note"),
        "processed_at": refund.get("createdAt"),
        "admin_graphql_api_id": refund.get("id"),
    }


def inventory_item_body(node: dict) -> dict[str, Any]:
    """inventory_items/update: an InventoryItem REST resource (as the stand-in serves the item)."""
    return {
        "id": numeric_id(node.get("id")),
        "sku": node.get("sku"),
        "updated_at": node.get("updatedAt"),
        "tracked": node.get("tracked"),
    }


def shop_body(node: dict) -> dict[str, Any]:
    """shop/update: a Shop REST resource."""
    return {
        "id": numeric_id(node.get("id")),
        "name": node.get("name"),
        "myshopify_domain": node.get("myshopifyDomain"),
        "iana_timezone": node.get("ianaTimezone"),
        "currency": node.get("currencyCode"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
    }


def customer_body(node: dict) -> dict[str, Any]:
    return {
        "id": numeric_id(node.get("id")),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "first_name": node.get("firstName"),
        "last_name": node.get("lastName"),
        "state": _lower(node.get("state")),
        "verified_email": node.get("verifiedEmail"),
        "email": (node.get("defaultEmailAddress") or {}).get("emailAddress"),
        "phone": (node.get("defaultPhoneNumber") or {}).get("phoneNumber"),
        "admin_graphql_api_id": node.get("id"),
    }


def body(topic: str, node: dict) -> dict[str, Any]:
    """The REST body Shopify sends for ``topic`` about the sandbox record ``node``."""
    if topic in DELETE_TOPICS:
        return {"id": numeric_id(node.get("id"))}
    if topic == "orders/edited":
        return order_edit_body(node)
    if topic == "refunds/create":
        return refund_body(node)
    if topic == "inventory_items/update":
        return inventory_item_body(node)
    if topic == "shop/update":
        return shop_body(node)
    if topic.startswith("fulfillments/"):
        return fulfillment_body(node)
    if topic.startswith("inventory_levels/"):
        return inventory_level_body(node)
    if topic.startswith("orders/"):
        return order_body(node)
    if topic.startswith("products/"):
        return product_body(node)
    if topic.startswith("customers/"):
        return customer_body(node)
    raise ValueError(f"the sandbox sends no {topic} webhooks")
