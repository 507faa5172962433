"""Bulk results in the API 2026-07 layout: children anywhere in the file, regrouped on disk."""

from __future__ import annotations

import json
import os

import pytest

from extractors.records import dumps, dumps_bytes
from extractors.settings import Settings
from extractors.shopify import queries
from extractors.shopify.extract import ShopifyExtractor
from extractors.shopify.regroup import (
    LINE_COST,
    MEMORY_ENV,
    RESERVE_STEP,
    MemoryBudget,
    Spill,
    default_memory_mb,
)
from warehouse.settings import SettingError


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


def _compact(rows: list[dict]) -> list[bytes]:
    """Lines as Shopify (and ``dumps``) write them: compact, so read back as text."""
    return [dumps_bytes(r) for r in rows]


def test_records_of_compact_lines_are_their_text_byte_for_byte_what_dumps_gives():
    rows = _ungrouped()
    rows[3]["note"] = 'tab\t "quoted" \\ back, é, {"amount":"x"}'  # order 2, escapes in text
    with Spill("orders", "lineItems") as spill:
        spill.fill(_compact(rows))
        parsed = [(seq, dumps(parent)) for seq, parent, _ in spill.roots()]
        records = list(spill.records())
        orphans = list(spill.problems())
    assert [r.seq for r in records] == [seq for seq, _ in parsed]
    assert all(r.text is not None and r.parsed is None for r in records)
    assert [r.text.decode() for r in records] == [text for _, text in parsed]  # type: ignore[union-attr]
    assert records[0].id == "gid://shopify/Order/1"
    assert records[0].updated == "2026-01-01T00:00:01Z"
    # an orphan's line is kept as its text: quarantined as it was in the file
    assert orphans == [
        (
            "orders: child of gid://shopify/Order/999: its parent is not in the result",
            dumps(_line(999, 1)),
        )
    ]


def test_records_fall_back_to_parsing_when_a_line_is_not_compact_or_a_child_has_no_id():
    rows = _compact(_ungrouped())
    rows[1] = json.dumps(_line(1, 2)).encode()  # order 1: a child in another layout
    no_id = {"quantity": 1, "__parentId": "gid://shopify/Order/2"}
    rows.append(dumps_bytes(no_id))  # order 2: a child without an id
    rows[5] = rows[5].replace(b'"name"', b' "name"')  # order 3: its own line not compact
    with Spill("orders", "lineItems") as spill:
        spill.fill(rows)
        parsed = {parent["id"]: parent for _, parent, _ in spill.roots()}
        records = {r.seq: r for r in spill.records()}
        as_parsed = [r for r in records.values() if r.text is None]
        assert [r.parsed["id"] for r in as_parsed] == [  # type: ignore[index]
            "gid://shopify/Order/1",
            "gid://shopify/Order/2",
            "gid://shopify/Order/3",
        ]
        for r in as_parsed:
            assert r.parsed == parsed[r.parsed["id"]]  # type: ignore[index]
        assert {"quantity": 1} in parsed["gid://shopify/Order/2"]["lineItems"]
        # as_text=False: every record parsed
        assert all(r.text is None for r in spill.records(as_text=False))


def _everything(spill: Spill, as_text: bool) -> tuple:
    """What a spill gives back: records (from the start and resumed), roots, ids, problems."""
    records = [
        (r.seq, r.line, r.text, r.parsed, r.id, r.updated)
        for skip in (0, 2, 150)
        for r in spill.records(skip, as_text)
    ]
    roots = [(seq, dumps(parent), line) for seq, parent, line in spill.roots(1)]
    problems = list(spill.problems()), list(spill.problems(partial=True))
    return records, roots, list(spill.ids()), problems, spill.root_count, spill.child_count


def _mixed_lines() -> list[bytes]:
    """Compact lines and others: a child in another layout, a child without an id, a root not
    compact, a child with a non-string parent, an orphan, lines that are not objects."""
    rows = _compact(_ungrouped())
    rows[1] = json.dumps(_line(1, 2)).encode()
    rows.append(dumps_bytes({"quantity": 1, "__parentId": "gid://shopify/Order/2"}))
    rows[5] = rows[5].replace(b'"name"', b' "name"')
    rows.insert(7, dumps_bytes({"id": "gid://shopify/LineItem/7", "__parentId": 7}))
    rows.insert(9, b"[1, 2]")
    rows.append(b'{"id": "gid://shopify/LineItem/cut')
    rows.append(dumps_bytes({"name": "#0", "updatedAt": "2026-01-01T00:00:00Z"}))  # no id
    return rows


def test_a_result_held_in_memory_gives_what_the_disk_spill_gives():
    lines = _mixed_lines()
    for as_text in (True, False):
        with Spill("orders", "lineItems", MemoryBudget(0)) as disk:
            disk.fill(lines)
            assert disk.db is not None
            expected = _everything(disk, as_text)
        # some records are read back as text, the others parsed
        assert {r[2] is None for r in expected[0]} == ({True, False} if as_text else {True})
        # in memory; and a result that outgrows memory half way (on disk from there)
        for budget in (1 << 30, sum(len(line) + 128 for line in lines) // 2):
            with Spill("orders", "lineItems", MemoryBudget(budget)) as spill:
                spill.fill(lines)
                assert (spill.db is None) == (budget == 1 << 30)
                assert _everything(spill, as_text) == expected


def test_a_result_without_children_held_in_memory_gives_what_the_disk_spill_gives():
    lines = _compact([_order(n) for n in range(20)]) + [b"not json"]
    with Spill("customers", None, MemoryBudget(0)) as disk, Spill("customers", None) as spill:
        disk.fill(lines)
        spill.fill(lines)
        assert spill.db is None and disk.db is not None
        assert _everything(spill, True) == _everything(disk, True)
        assert _everything(spill, False) == _everything(disk, False)


def test_results_read_side_by_side_share_one_memory_budget():
    lines = _compact(_ungrouped())
    assert sum(len(line) + LINE_COST for line in lines) < RESERVE_STEP // 2
    budget = MemoryBudget(RESERVE_STEP * 3 // 2)  # room for one result (one step), not two
    with Spill("orders", "lineItems", budget) as first:
        first.fill(lines)
        with Spill("orders", "lineItems", budget) as second:
            second.fill(lines)
            assert first.db is None and second.db is not None
            assert _everything(first, True) == _everything(second, True)
        assert budget.used > 0
    assert budget.used == 0  # given back when closed (and by a result that went to disk)


def test_the_memory_budget_is_a_quarter_of_the_machine_unless_configured():
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert default_memory_mb() == max(256, (total // 4) >> 20)
    env = {"SHOPIFY_SHOP": "a.myshopify.com", "SHOPIFY_ACCESS_TOKEN": "t"}
    assert Settings(env).shopify().bulk_memory_mb is None  # the default above
    assert Settings({**env, MEMORY_ENV: "0"}).shopify().bulk_memory_mb == 0  # always on disk
    assert Settings({**env, MEMORY_ENV: " 512 "}).shopify().bulk_memory_mb == 512
    with pytest.raises(SettingError, match=MEMORY_ENV):
        Settings({**env, MEMORY_ENV: "lots"}).shopify()
    budget = MemoryBudget(1 << 30)
    budget.set_limit(0)  # what the run sets from HOTROD_BULK_MEMORY_MB=0
    with Spill("customers", None, budget) as spill:
        spill.fill(_compact([_order(1)]))
        assert spill.db is not None
