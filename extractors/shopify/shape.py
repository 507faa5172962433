"""From API nodes to landed rows (the payload shapes in docs/raw-landing.md)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from extractors.records import (
    RecordError,
    Row,
    dumps,
    make_row,
    make_text_row,
    parse_timestamp,
)
from extractors.shopify.queries import EntityQuery, Nested

_MONEY = re.compile(r'"(amount|price|compareAtPrice)":("(?:[^"\\]|\\.)*"|[^,}\]]+)')
_DECIMAL_TEXT = re.compile(r'^"?-?\d+(\.\d+)?"?$')
# Every _MONEY match whose value is not a decimal (or null) matches one of these too (and perhaps
# a few that are not money, e.g. another key ending in "rice"): two searches in C clear the usual
# payload, where every amount is a decimal. Each starts with a literal (the keys' common ends),
# which the regex engine finds at memchr speed; a pattern starting at the key's opening quote
# is tried at every quote of the payload, three times the CPU.
_NOT_DECIMAL = r'":(?!"-?\d+(?:\.\d+)?"[,}\]]|null[,}\]]|-?\d+(?:\.\d+)?[,}\]])'
_SUSPECT_AMOUNT = re.compile("amount" + _NOT_DECIMAL)
_SUSPECT_PRICE = re.compile("rice" + _NOT_DECIMAL)
_MAYBE_BAD_MONEY = (_SUSPECT_AMOUNT, _SUSPECT_PRICE)
# A GraphQL answer holds the fields its query selects, no others: an entity whose query selects
# no price field (orders, customers) is searched for amounts only
_PRICE_FIELD = re.compile(r"\b(?:price|compareAtPrice)\b")
# Entities whose row is the record itself (``rows_for``'s last case): landable from its text
_WHOLE_RECORD_ROWS = frozenset({"locations", "customers", "orders"})


def flatten_paginated(entity: EntityQuery, node: dict[str, Any]) -> dict[str, Any]:
    """``{field: {edges: [{node}]}}`` -> ``{field: [node]}`` for the entity's nested connections."""
    for nested in entity.nested:
        conn = node.get(nested.field)
        if isinstance(conn, dict):
            node[nested.field] = [e.get("node") for e in conn.get("edges") or []]
        elif conn is None:
            node[nested.field] = []
    return node


def more_pages(entity: EntityQuery, node: Any) -> list[tuple[Nested, str | None]]:
    """The nested connections of a paginated node that have more pages, with their endCursor
    (read before ``flatten_paginated``, which keeps only the nodes)."""
    if not isinstance(node, dict):
        return []
    out: list[tuple[Nested, str | None]] = []
    for nested in entity.nested:
        conn = node.get(nested.field)
        info = (conn.get("pageInfo") or {}) if isinstance(conn, dict) else {}
        if info.get("hasNextPage"):
            out.append((nested, info.get("endCursor")))
    return out


def money_suspects(entity: EntityQuery) -> tuple[re.Pattern[str], ...]:
    """The searches ``check_amounts`` needs for the answers to ``entity``'s query."""
    selected = entity.node_selection(False)
    return _MAYBE_BAD_MONEY if _PRICE_FIELD.search(selected) else (_SUSPECT_AMOUNT,)


_SUSPECTS: dict[str, tuple[re.Pattern[str], ...]] = {}


def _suspects(entity: EntityQuery) -> tuple[re.Pattern[str], ...]:
    found = _SUSPECTS.get(entity.entity)
    if found is None:
        found = _SUSPECTS[entity.entity] = money_suspects(entity)
    return found


def check_amounts(
    payload_text: str, suspects: tuple[re.Pattern[str], ...] = _MAYBE_BAD_MONEY
) -> None:
    """Every money ``amount`` (and variant price) must be a decimal string: staging casts them.

    Scans the serialized payload (a regex pass in C per kind of field, ``suspects``: see
    ``money_suspects``) instead of walking the object; only a payload with a suspect value is
    looked at match by match.
    """
    if not any(suspect.search(payload_text) for suspect in suspects):
        return
    for match in _MONEY.finditer(payload_text):
        value = match.group(2)
        if value != "null" and not _DECIMAL_TEXT.match(value):
            raise RecordError(f"unparseable money {match.group(1)}={value}")


def rows_for(entity: EntityQuery, node: dict[str, Any]) -> Iterator[Row]:
    """Rows for one (flattened) top-level node. Raises RecordError for a bad record."""
    if not isinstance(node, dict):
        raise RecordError("node is not an object")
    if entity.entity == "inventory_levels":
        item = {"id": node.get("id"), "sku": node.get("sku")}
        for level in node.get("inventoryLevels") or []:
            if not isinstance(level, dict):
                raise RecordError("inventory level is not an object")
            payload = dict(level)
            payload["item"] = item
            row = make_row(payload.get("id"), payload.get("updatedAt"), payload)
            check_amounts(row.payload, _suspects(entity))
            yield row
        return
    updated = node.get("updatedAt")
    if entity.entity == "products":
        updated = _max_updated(node, updated)
    row = make_row(node.get("id"), updated, node)
    check_amounts(row.payload, _suspects(entity))
    yield row


def _max_updated(product: dict[str, Any], updated: Any) -> Any:
    """The newest of the product's and its variants' updatedAt (as the original string)."""
    best_text, best = updated, parse_timestamp(updated)
    for variant in product.get("variants") or []:
        value = (variant or {}).get("updatedAt")
        if value:
            when = parse_timestamp(value)
            if when > best:
                best_text, best = value, when
    return best_text


def lands_from_text(entity: EntityQuery) -> bool:
    """Is a record of ``entity`` landed as it is (so from its text, ``text_rows``)?"""
    return entity.entity in _WHOLE_RECORD_ROWS


def text_rows(
    entity: EntityQuery, record_id: str | None, updated: str | None, text: str, raw: bytes
) -> tuple[list[Row], list[tuple[str, str]]]:
    """``safe_rows`` for a record of a ``lands_from_text`` entity given as its ``dumps`` text
    with its id and updatedAt (strings or None): the same rows, or the same quarantine."""
    try:
        row = make_text_row(record_id, updated, text)
        check_amounts(row.payload, _suspects(entity))
        return [row], []
    except RecordError as exc:
        return [], [(f"{entity.entity}: {exc}", raw.decode("utf-8", errors="replace"))]


def safe_rows(
    entity: EntityQuery, node: Any, raw: str | bytes | None = None
) -> tuple[list[Row], list[tuple[str, str]]]:
    """Rows for a node, or the node quarantined with its reason (and its raw text)."""
    try:
        return list(rows_for(entity, node)), []
    except RecordError as exc:
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", errors="replace")
        return [], [(f"{entity.entity}: {exc}", raw if raw is not None else dumps(node))]
