"""Bulk operations: the run/poll/download flow, the JSONL shape, and Shopify's rules."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from extractors.shopify.queries import (
    BULK_RUN_MUTATION,
    BULK_STATUS_QUERY,
    INVENTORY_ITEMS,
    ORDERS,
    PRODUCTS,
)
from sandbox.server import start_server
from sandbox.server.faults import FaultConfig
from sandbox.server.shopify.bulk import MAX_CONCURRENT
from tests.sandbox.fake_store import FakeStore
from tests.sandbox.test_server_shopify import SHOP, gql, stored


@pytest.fixture(scope="module")
def store() -> FakeStore:
    return FakeStore(orders=40)


@pytest.fixture(scope="module")
def server(store: FakeStore) -> Iterator[str]:
    running = start_server(store)
    try:
        yield running.url
    finally:
        running.stop()


# currentBulkOperation is deprecated in 2026-07 but still served (the extractors no longer use it)
CURRENT_BULK_QUERY = """
query CurrentBulk {
  currentBulkOperation(type: QUERY) { id status }
}
"""
GROUPED_RUN_MUTATION = """
mutation RunGrouped($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: true) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""


def run_bulk(url: str, inner: str, mutation: str = BULK_RUN_MUTATION) -> dict:
    body = gql(url, mutation, {"query": inner})
    result = body["data"]["bulkOperationRunQuery"]
    assert result["userErrors"] == [], result
    gid = result["bulkOperation"]["id"]
    for _ in range(200):
        node = gql(url, BULK_STATUS_QUERY, {"id": gid})["data"]["bulkOperation"]
        if node["status"] not in ("CREATED", "RUNNING"):
            return node
        time.sleep(0.05)
    raise AssertionError("bulk operation did not finish")


def regroup(lines: list[dict], nested: str) -> list[dict]:
    """Shopify's JSONL back into landed payloads: children (anywhere in the file, in their
    connection's order) under their parent's list."""
    parents: dict[str, dict] = {}
    order: list[dict] = []
    for row in lines:
        if "__parentId" not in row:
            row[nested] = []
            parents[row["id"]] = row
            order.append(row)
    for row in lines:
        if "__parentId" in row:
            parents[row.pop("__parentId")][nested].append(row)
    return order


def download(url: str) -> list[dict]:
    response = requests.get(url, timeout=30)
    assert response.status_code == 200
    return [json.loads(line) for line in response.text.splitlines()]


def test_bulk_orders_return_the_store_exactly(server, store):
    node = run_bulk(server, ORDERS.bulk_document())
    assert node["status"] == "COMPLETED"
    rows = download(node["url"])
    assert int(node["objectCount"]) == len(rows)
    assert int(node["rootObjectCount"]) == len([r for r in rows if "__parentId" not in r])
    assert all(
        r["__parentId"].startswith("gid://shopify/Order/") for r in rows if "__parentId" in r
    )
    assert regroup(rows, "lineItems") == stored(store, "orders")


def _layout(rows: list[dict]) -> tuple[int, int, int]:
    """(children before their parent, children not right after their parent's group, children)."""
    position = {r["id"]: i for i, r in enumerate(rows) if "__parentId" not in r}
    before = apart = 0
    current = None
    for i, row in enumerate(rows):
        if "__parentId" not in row:
            current = row["id"]
            continue
        before += position[row["__parentId"]] > i
        apart += row["__parentId"] != current
    return before, apart, len(rows) - len(position)


def test_bulk_output_is_ungrouped_by_default_and_grouped_when_asked():
    """API 2026-07: groupObjects defaults to false, children anywhere (before, after, far)."""
    running = start_server(FakeStore(orders=600))
    try:
        ungrouped = download(run_bulk(running.url, ORDERS.bulk_document())["url"])
        grouped = download(
            run_bulk(running.url, ORDERS.bulk_document(), GROUPED_RUN_MUTATION)["url"]
        )
    finally:
        running.stop()
    before, apart, children = _layout(ungrouped)
    assert children > 600 and before > children // 10 and apart > children // 2
    far = [
        abs(i - j)
        for i, r in enumerate(ungrouped)
        if "__parentId" in r
        for j, p in enumerate(ungrouped)
        if p.get("id") == r["__parentId"] and "__parentId" not in p
    ]
    assert max(far) > 500  # some children are hundreds of lines from their parent
    assert _layout(grouped) == (0, 0, children)
    assert sorted(map(json.dumps, grouped)) == sorted(map(json.dumps, ungrouped))


def test_bulk_products_and_search_filter(server, store):
    node = run_bulk(server, PRODUCTS.bulk_document())
    assert regroup(download(node["url"]), "variants") == stored(store, "products")
    records = list(store.iter_records("shopify", "orders", SHOP))
    pivot = records[-5].payload["updatedAt"]
    node = run_bulk(server, ORDERS.bulk_document(f"updated_at:>='{pivot}'"))
    roots = [r["id"] for r in download(node["url"]) if "__parentId" not in r]
    assert roots == [r.id for r in records if r.payload["updatedAt"] >= pivot]


def test_bulk_inventory_levels(server, store):
    node = run_bulk(server, INVENTORY_ITEMS.bulk_document())
    rows = download(node["url"])
    items = {r["id"]: r for r in rows if "__parentId" not in r}
    levels = [
        {
            **{k: v for k, v in r.items() if k != "__parentId"},
            "item": {"id": r["__parentId"], "sku": items[r["__parentId"]]["sku"]},
        }
        for r in rows
        if "__parentId" in r
    ]
    key = lambda row: row["id"]  # noqa: E731
    assert sorted(levels, key=key) == sorted(stored(store, "inventory_levels"), key=key)


def test_current_bulk_operation_and_empty_result(server):
    node = run_bulk(server, ORDERS.bulk_document("updated_at:>='2099-01-01T00:00:00Z'"))
    assert node["status"] == "COMPLETED"
    assert node["objectCount"] == "0" and node["url"] is None  # Shopify: no file when empty
    current = gql(server, CURRENT_BULK_QUERY)["data"]["currentBulkOperation"]
    assert current["id"] == node["id"]


def test_result_urls_expire_after_their_time_and_not_before():
    running = start_server(FakeStore(orders=3), faults=FaultConfig(bulk_result_ttl_s=1.5))
    try:
        # more results than a shop may run at once: none expires before its time
        nodes = [run_bulk(running.url, ORDERS.bulk_document()) for _ in range(7)]
        fresh = [requests.get(n["url"], timeout=30).status_code for n in nodes]
        time.sleep(1.6)
        stale = [requests.get(n["url"], timeout=30).status_code for n in nodes]
        status = gql(running.url, BULK_STATUS_QUERY, {"id": nodes[0]["id"]})
    finally:
        running.stop()
    assert fresh == [200] * 7
    assert stale == [404] * 7
    assert status["data"]["bulkOperation"]["status"] == "EXPIRED"


def test_invalid_inner_query_gives_user_errors(server):
    for inner, needle in (
        ("{ orders { edges { node { id colour } } } }", "doesn't exist on type 'Order'"),
        ("{ orders { edges { node { id } }", "syntax"),
        ("{ shop { name } }", "connection"),
    ):
        result = gql(server, BULK_RUN_MUTATION, {"query": inner})["data"]["bulkOperationRunQuery"]
        assert result["bulkOperation"] is None
        assert (
            needle in result["userErrors"][0]["message"].lower()
            or needle in result["userErrors"][0]["message"]
        )
        assert result["userErrors"][0]["field"] == ["query"]


class BlockingStore(FakeStore):
    """Order scans wait for ``release`` so a bulk operation stays RUNNING."""

    def __init__(self) -> None:
        super().__init__(orders=5)
        self.release = threading.Event()

    def iter_records(self, source, entity, shop_domain, **kw):
        if entity == "orders" and kw.get("limit", 0) > 100:
            self.release.wait(10)
        return super().iter_records(source, entity, shop_domain, **kw)


def test_five_running_bulk_operations_per_shop_then_limit_reached():
    store = BlockingStore()
    running = start_server(store)
    try:
        for _ in range(MAX_CONCURRENT):
            first = gql(running.url, BULK_RUN_MUTATION, {"query": ORDERS.bulk_document()})
            op = first["data"]["bulkOperationRunQuery"]["bulkOperation"]
            assert op["status"] in ("CREATED", "RUNNING")
        second = gql(running.url, BULK_RUN_MUTATION, {"query": ORDERS.bulk_document()})
        result = second["data"]["bulkOperationRunQuery"]
        assert result["bulkOperation"] is None
        assert result["userErrors"][0]["code"] == "LIMIT_REACHED"
        other = gql(
            running.url,
            BULK_RUN_MUTATION,
            {"query": ORDERS.bulk_document()},
            shop="speedway-classics.sandbox.test",
        )["data"]["bulkOperationRunQuery"]
        assert other["userErrors"] == []  # another shop may run its own
    finally:
        store.release.set()
        running.stop()


def test_a_failed_operation_serves_its_partial_data():
    running = start_server(FakeStore(orders=40), faults=FaultConfig(bulk_fail_after=10))
    try:
        failed = run_bulk(running.url, ORDERS.bulk_document())
        partial = download(failed["partialDataUrl"])
        again = run_bulk(running.url, ORDERS.bulk_document())  # only the first one fails
    finally:
        running.stop()
    assert failed["status"] == "FAILED" and failed["url"] is None
    assert failed["errorCode"] == "INTERNAL_SERVER_ERROR"
    assert len([r for r in partial if "__parentId" not in r]) == 10
    assert again["status"] == "COMPLETED"
