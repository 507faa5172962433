"""Nested connections read to the end: a record whose nested list (line items, variants,
inventory levels) has more pages than the first is completed page by page before it is landed.

Used by paged increments (``extract.ShopifyExtractor``) and by webhook change notices
(``notices.fetch``), which ask the same node selection and so meet the same first-page limit.
"""

from __future__ import annotations

from typing import Any

from extractors.shopify import shape
from extractors.shopify.client import ShopifyClient
from extractors.shopify.queries import EntityQuery, Nested


def complete(client: ShopifyClient, entity: EntityQuery, raw: Any) -> tuple[Any, str | None]:
    """The node with every nested connection flattened and read to the end; with it, a reason to
    quarantine it when that cannot be done (None when complete)."""
    rest = shape.more_pages(entity, raw)
    node = shape.flatten_paginated(entity, raw) if isinstance(raw, dict) else raw
    return node, (read_rest(client, entity, node, rest) if rest else None)


def read_rest(
    client: ShopifyClient,
    entity: EntityQuery,
    node: dict[str, Any],
    rest: list[tuple[Nested, str | None]],
) -> str | None:
    """Read the remaining pages of the node's nested connections into its (flattened) lists, so
    no record is landed truncated; a reason to quarantine it when that cannot be done."""
    for nested, after in rest:
        if not after:
            return f"{entity.entity}: {nested.field} has more pages and no endCursor"
        items = node[nested.field]
        document = entity.nested_page_document(nested)
        while after:
            variables = {"id": node.get("id"), "first": nested.first, "after": after}
            found = client.query(document, variables).get("node")
            if not isinstance(found, dict):
                return (
                    f"{entity.entity}: {node.get('id')} was gone while its {nested.field} "
                    "were read to the end (the next run reads it again)"
                )
            conn = found.get(nested.field) or {}
            items.extend((e or {}).get("node") for e in conn.get("edges") or [])
            info = conn.get("pageInfo") or {}
            if info.get("hasNextPage") and not info.get("endCursor"):
                return f"{entity.entity}: {nested.field} has more pages and no endCursor"
            after = info.get("endCursor") if info.get("hasNextPage") else None
    return None
