"""The Shopify GraphQL stand-in against the fake store: pages, search, errors, cost, auth."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from extractors.shopify.queries import CUSTOMERS, INVENTORY_ITEMS, LOCATIONS, ORDERS, PRODUCTS
from sandbox.server import FaultConfig, start_server
from sandbox.server.throttle import CostBucket
from tests.sandbox.fake_store import FakeStore

SHOP = "hot-rod-an.sandbox.test"
TOKEN = {"X-Shopify-Access-Token": "shpat_sandbox_token"}


@pytest.fixture(scope="module")
def store() -> FakeStore:
    return FakeStore(orders=30)


@pytest.fixture(scope="module")
def server(store: FakeStore) -> Iterator[str]:
    running = start_server(store, port=0, faults=FaultConfig(bucket_size=1_000_000))
    try:
        yield running.url
    finally:
        running.stop()


def gql(url: str, query: str, variables: dict | None = None, shop: str = SHOP) -> dict:
    response = requests.post(
        f"{url}/shops/{shop}/admin/api/2026-07/graphql.json",
        json={"query": query, "variables": variables or {}},
        headers=TOKEN,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def flatten(node: dict) -> dict:
    """A GraphQL node in the landed shape: nested connections become plain lists."""
    out = {}
    for key, value in node.items():
        if isinstance(value, dict) and "edges" in value:
            out[key] = [flatten(edge["node"]) for edge in value["edges"]]
        else:
            out[key] = value
    return out


def page_all(
    url: str, entity, first: int, query: str | None = None, shop: str = SHOP
) -> list[dict]:
    nodes, after, pages = [], None, 0
    while True:
        variables = {"first": first, "after": after}
        if entity.incremental:
            variables["query"] = query
        body = gql(url, entity.page_document(), variables, shop=shop)
        assert "errors" not in body, body
        conn = body["data"][entity.root]
        nodes.extend(flatten(edge["node"]) for edge in conn["edges"])
        pages += 1
        if not conn["pageInfo"]["hasNextPage"]:
            return nodes
        after = conn["pageInfo"]["endCursor"]
        assert pages < 100


def stored(store: FakeStore, entity: str, shop: str = SHOP) -> list[dict]:
    return [r.payload for r in store.iter_records("shopify", entity, shop)]


@pytest.mark.parametrize(
    ("entity", "table", "first"),
    [(ORDERS, "orders", 7), (CUSTOMERS, "customers", 2), (LOCATIONS, "locations", 5)],
)
def test_paginated_query_returns_the_store_exactly(server, store, entity, table, first):
    assert page_all(server, entity, first) == stored(store, table)


def test_products_with_aliased_fitment_metafield_and_variants(server, store):
    nodes = page_all(server, PRODUCTS, 2)
    assert nodes == stored(store, "products")
    assert nodes[0]["fitment"]["type"] == "list.single_line_text_field"
    assert nodes[1]["fitment"] is None


def test_inventory_items_regroup_to_the_stored_levels(server, store):
    items = page_all(server, INVENTORY_ITEMS, 4)
    levels = [
        {**level, "item": {"id": item["id"], "sku": item["sku"]}}
        for item in items
        for level in item["inventoryLevels"]
    ]
    key = lambda row: row["id"]  # noqa: E731
    assert sorted(levels, key=key) == sorted(stored(store, "inventory_levels"), key=key)


def test_updated_at_search_bounds(server, store):
    records = list(store.iter_records("shopify", "orders", SHOP))
    pivot = records[len(records) // 2].payload["updatedAt"]
    inclusive = page_all(server, ORDERS, 50, f"updated_at:>='{pivot}'")
    exclusive = page_all(server, ORDERS, 50, f'updated_at:>"{pivot}"')
    assert [n["id"] for n in inclusive] == [
        r.id for r in records if r.payload["updatedAt"] >= pivot
    ]
    assert [n["id"] for n in exclusive] == [r.id for r in records if r.payload["updatedAt"] > pivot]
    upper = page_all(server, ORDERS, 50, f"updated_at:<='{pivot}'")
    assert {n["id"] for n in upper} | {n["id"] for n in exclusive} == {r.id for r in records}


def test_reverse_returns_newest_first(server, store):
    body = gql(
        server,
        "{ orders(first: 5, reverse: true, sortKey: UPDATED_AT) { nodes { id } } }",
    )
    newest = [r.id for r in store.iter_records("shopify", "orders", SHOP, descending=True)]
    assert [n["id"] for n in body["data"]["orders"]["nodes"]] == newest[:5]


def test_reverse_pages_walk_the_store_backwards(server, store):
    ids, after = [], None
    query = (
        "query($after: String) { orders(first: 4, after: $after, reverse: true) "
        "{ nodes { id } pageInfo { hasNextPage endCursor } } }"
    )
    while True:
        conn = gql(server, query, {"after": after})["data"]["orders"]
        ids.extend(n["id"] for n in conn["nodes"])
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert ids == [r.id for r in store.iter_records("shopify", "orders", SHOP, descending=True)]


def test_invalid_cursor_is_a_field_error(server):
    body = gql(server, '{ orders(first: 2, after: "nonsense") { nodes { id } } }')
    assert body["data"] == {"orders": None}
    assert body["errors"][0]["path"] == ["orders"]


def test_shop_and_node_lookups(server, store):
    body = gql(
        server,
        '{ shop { name ianaTimezone } order(id: "gid://shopify/Order/1") { name } '
        'n: node(id: "gid://shopify/Customer/1") { id ... on Customer { displayName } } }',
    )
    assert body["data"]["shop"] == {"name": "Hot Rod AN", "ianaTimezone": "America/Los_Angeles"}
    assert body["data"]["order"] == {"name": "#1001"}
    assert body["data"]["n"] == {"id": "gid://shopify/Customer/1", "displayName": "Ann Lee0"}


def test_nested_connection_first_and_has_next_page(server):
    body = gql(
        server,
        '{ order(id: "gid://shopify/Order/3") { lineItems(first: 2) '
        "{ edges { cursor node { quantity } } pageInfo { hasNextPage } } } }",
    )
    items = body["data"]["order"]["lineItems"]
    assert [e["node"]["quantity"] for e in items["edges"]] == [1, 2]
    assert items["pageInfo"]["hasNextPage"] is True


def test_unknown_field_fails_like_shopify(server):
    body = gql(server, "query Page { orders(first: 2) { edges { node { id colour } } } }")
    assert "data" not in body
    (error,) = body["errors"]
    assert error["message"] == "Field 'colour' doesn't exist on type 'Order'"
    assert error["extensions"] == {
        "code": "undefinedField",
        "typeName": "Order",
        "fieldName": "colour",
    }
    assert error["path"] == ["query Page", "orders", "edges", "node", "colour"]
    assert error["locations"] == [{"line": 1, "column": 51}]


def test_unknown_argument_and_syntax_errors(server):
    body = gql(server, "{ orders(first: 2, colour: 1) { nodes { id } } }")
    assert body["errors"][0]["message"] == "Field 'orders' doesn't accept argument 'colour'"
    assert body["errors"][0]["extensions"]["code"] == "argumentNotAccepted"
    body = gql(server, "{ orders(first: 2) { nodes { id } }")
    assert body["errors"][0]["message"].startswith("syntax error")


def test_page_size_over_250_fails(server):
    body = gql(server, "{ orders(first: 251) { nodes { id } } }")
    assert "data" not in body
    assert "251" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "MAX_PAGE_SIZE_EXCEEDED"
    body = gql(server, "{ orders { nodes { id } } }")
    assert body["errors"][0]["message"] == "you must provide one of first or last"


def test_cost_extension_is_reported(server):
    body = gql(
        server, "{ orders(first: 10) { nodes { id totalPriceSet { shopMoney { amount } } } } }"
    )
    cost = body["extensions"]["cost"]
    # 2 + s(10)=5 nodes x (node 1 + MoneyBag 1 + MoneyV2 1)
    assert cost["requestedQueryCost"] == 2 + 5 * 3
    assert cost["actualQueryCost"] == cost["requestedQueryCost"]
    assert cost["throttleStatus"]["maximumAvailable"] == 1_000_000.0
    assert cost["throttleStatus"]["restoreRate"] == 100.0


def test_wrong_or_missing_token_is_401(server):
    url = f"{server}/shops/{SHOP}/admin/api/2026-07/graphql.json"
    for headers in ({}, {"X-Shopify-Access-Token": "nope"}):
        response = requests.post(url, json={"query": "{ shop { name } }"}, headers=headers)
        assert response.status_code == 401
        assert response.json() == {
            "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
        }


def test_bucket_exhaustion_answers_throttled(store):
    running = start_server(store, faults=FaultConfig(bucket_size=100, restore_rate=0.001))
    try:
        # 30 orders: requested = actual = 2 + s(30)=7 = 9 points
        query = "{ orders(first: 30) { nodes { id } } }"
        answers = [gql(running.url, query) for _ in range(13)]
    finally:
        running.stop()
    throttled = [a for a in answers if "errors" in a]
    assert len(answers) - len(throttled) == 11  # 11 x 9 = 99 of 100 points
    assert throttled[0]["errors"][0]["extensions"]["code"] == "THROTTLED"
    cost = throttled[0]["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 9 and cost["actualQueryCost"] is None
    assert cost["throttleStatus"]["currentlyAvailable"] < 9


def test_single_query_max_cost(store):
    running = start_server(store, faults=FaultConfig(max_query_cost=20))
    try:
        body = gql(running.url, "{ orders(first: 250) { nodes { id customer { id } } } }")
    finally:
        running.stop()
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert error["extensions"]["cost"] == 2 + 11 * 2
    assert "extensions" not in body


def test_bucket_restores_over_time():
    now = [0.0]
    bucket = CostBucket(maximum=100, restore_rate=10, clock=lambda: now[0])
    assert bucket.try_acquire("s", 80)
    assert not bucket.try_acquire("s", 30)  # 20 available
    now[0] = 1.0  # +10
    assert bucket.try_acquire("s", 30)
    bucket.settle("s", 30, 10)  # refund 20
    assert bucket.status("s").currently_available == pytest.approx(20)
    now[0] = 100.0
    assert bucket.status("s").currently_available == 100


COUNT = "query C($q: String) { ordersCount(query: $q, limit: null) { count precision } }"


def test_orders_count_matches_the_store_for_every_bound(server, store):
    records = list(store.iter_records("shopify", "orders", SHOP))
    stamps = [r.payload["updatedAt"] for r in records]
    pivot = stamps[len(stamps) // 3]
    expected = {
        None: len(stamps),
        f"updated_at:<'{pivot}'": sum(s < pivot for s in stamps),
        f"updated_at:<='{pivot}'": sum(s <= pivot for s in stamps),
        f"updated_at:>'{pivot}'": sum(s > pivot for s in stamps),
        f"updated_at:>='{pivot}' AND updated_at:<'{stamps[-1]}'": sum(
            pivot <= s < stamps[-1] for s in stamps
        ),
        # a fraction of a second and a keyword: counted record by record, the same way
        f"updated_at:<'{pivot[:-1]}.5Z'": sum(s <= pivot for s in stamps),
        "test:false": sum(not r.payload.get("test") for r in records),
    }
    for search, count in expected.items():
        body = gql(server, COUNT, {"q": search})
        assert body["data"]["ordersCount"] == {"count": count, "precision": "EXACT"}, search
    capped = gql(server, "{ ordersCount(limit: 3) { count precision } }")
    assert capped["data"]["ordersCount"] == {"count": 3, "precision": "AT_LEAST"}
