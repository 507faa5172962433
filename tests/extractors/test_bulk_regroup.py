"""Bulk results in the API 2026-07 layout: children anywhere in the file, regrouped on disk."""

from __future__ import annotations

import json

from extractors.shopify import queries
from extractors.shopify.extract import ShopifyExtractor
from extractors.shopify.regroup import Spill


def _order(n: int) -> dict:
    return {
        "id": f"gid://shopify/Order/{n}",
        "name": f"#{n}",
        "updatedAt": f"2026-01-01T00:00:{n % 60:02d}Z",
        "totalPriceSet": {"shopMoney": {"amount": "10.00", "currencyCode": "USD"}},
    }


def _line(order: int, k: int) -> dict:
    return {
        "id": f"gid://shopify/LineItem/{order * 10 + k}",
        "quantity": k,
        "currentQuantity": k,
        "__parentId": f"gid://shopify/Order/{order}",
    }


def _jsonl(rows: list[dict]) -> list[bytes]:
    return [json.dumps(r).encode() for r in rows]


def _ungrouped() -> list[dict]:
    """Order 1's lines before it, order 2's right after it, order 3's far away (after 200
    other orders); an orphan; an invalid line."""
    rows: list[dict] = [_line(1, 1), _line(1, 2), _order(1), _order(2), _line(2, 1)]
    rows.append(_order(3))
    rows.extend(_order(n) for n in range(100, 300))
    rows.extend([_line(3, 1), _line(3, 2), _line(3, 3), _line(999, 1)])
    return rows


def test_children_before_after_and_far_from_their_parent_all_land():
    lines = _jsonl(_ungrouped()) + [b'{"id": "gid://shopify/LineItem/cut']
    with Spill("orders", "lineItems") as spill:
        spill.fill(lines)
        records = {parent["id"]: parent for _, parent, _ in spill.roots()}
        problems = list(spill.problems())
    assert len(records) == 203
    assert [li["id"] for li in records["gid://shopify/Order/1"]["lineItems"]] == [
        "gid://shopify/LineItem/11",
        "gid://shopify/LineItem/12",
    ]
    assert len(records["gid://shopify/Order/2"]["lineItems"]) == 1
    assert [li["quantity"] for li in records["gid://shopify/Order/3"]["lineItems"]] == [1, 2, 3]
    assert all("__parentId" not in li for r in records.values() for li in r["lineItems"])
    assert records["gid://shopify/Order/150"]["lineItems"] == []
    reasons = [reason for reason, _ in problems]
    assert reasons[0].startswith("orders: invalid JSONL line")
    assert reasons[1] == (
        "orders: child of gid://shopify/Order/999: its parent is not in the result"
    )
    assert len(problems) == 2


def test_roots_resume_after_the_records_already_landed():
    with Spill("orders", "lineItems") as spill:
        spill.fill(_jsonl(_ungrouped()))
        ids = [parent["id"] for _, parent, _ in spill.roots()]
        resumed = [(seq, parent["id"]) for seq, parent, _ in spill.roots(skip=2)]
    assert resumed[0] == (3, "gid://shopify/Order/3")
    assert [i for _, i in resumed] == ids[2:]


def test_partial_data_leaves_orphans_for_the_full_run():
    with Spill("orders", "lineItems") as spill:
        spill.fill(_jsonl([_order(1), _line(2, 1)]))
        assert list(spill.problems(partial=True)) == []


class _Landed:
    """An EntityLoad stand-in: records what was landed and the states committed with it."""

    def __init__(self) -> None:
        self.rows: list = []
        self.bad: list = []
        self.states: list[dict] = []

    def land(self, rows, bad=()) -> None:
        self.rows.extend(rows)
        self.bad.extend(bad)

    def save(self, state: dict) -> None:
        self.states.append(json.loads(json.dumps(state)))

    def commit(self) -> None:
        pass


class _Client:
    def __init__(self, lines: list[bytes]) -> None:
        self.lines = lines

    def bulk_lines(self, url: str, skip: int = 0):
        assert skip == 0  # the whole file is read again: the position is in regrouped records
        return iter(self.lines)


def test_the_extractor_lands_whole_orders_in_batches_that_resume():
    extractor = ShopifyExtractor(_Client(_jsonl(_ungrouped())), batch_rows=50)  # type: ignore[arg-type]
    load = _Landed()
    bulk = {"id": "gid://shopify/BulkOperation/1", "roots_done": 0, "max": None, "search": None}
    extractor._land_result(queries.ORDERS, load, {"bulk": bulk}, bulk, "http://x/r.jsonl")  # type: ignore[arg-type]
    assert len(load.rows) == 203
    payloads = {row.id: json.loads(row.payload) for row in load.rows}
    assert len(payloads["gid://shopify/Order/3"]["lineItems"]) == 3
    assert len(payloads["gid://shopify/Order/1"]["lineItems"]) == 2
    assert [reason for reason, _ in load.bad] == [
        "orders: child of gid://shopify/Order/999: its parent is not in the result"
    ]
    positions = [s["bulk"]["roots_done"] for s in load.states if "bulk" in s]
    assert positions == [50, 100, 150, 200]
    assert load.states[-1]["loaded"] is True and "bulk" not in load.states[-1]

    again = _Landed()  # a rerun after the second batch lands only what follows it
    bulk["roots_done"] = 100
    extractor._land_result(queries.ORDERS, again, {"bulk": bulk}, bulk, "http://x/r.jsonl")  # type: ignore[arg-type]
    assert len(again.rows) == 103
