"""The stand-ins over the real generated store: every page and every bulk row is the store's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from extractors.shopify.queries import CUSTOMERS, INVENTORY_ITEMS, LOCATIONS, ORDERS, PRODUCTS
from sandbox.server import FaultConfig, start_server
from tests.sandbox.test_server_bulk import download, regroup, run_bulk
from tests.sandbox.test_server_shopify import gql, page_all

store_module = pytest.importorskip("sandbox.store")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator:
    opened = store_module.SandboxStore.open(
        orders=1500, seed=11, cache_dir=tmp_path_factory.mktemp("sandbox-cache")
    )
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="module")
def server(store) -> Iterator[str]:
    running = start_server(store, faults=FaultConfig(bucket_size=1_000_000))
    try:
        yield running.url
    finally:
        running.stop()


def _stored(store, entity: str, shop: str) -> list[dict]:
    return [r.payload for r in store.iter_records("shopify", entity, shop)]


def _page_all_shop(url: str, entity, first: int, shop: str) -> list[dict]:
    return page_all(url, entity, first, shop=shop)


@pytest.mark.parametrize(
    ("entity", "table", "first"),
    [(ORDERS, "orders", 100), (PRODUCTS, "products", 50), (CUSTOMERS, "customers", 100)],
)
def test_pages_equal_the_store_for_every_shop(server, store, entity, table, first):
    for shop in store.shops():
        domain = shop["domain"]
        nodes = _page_all_shop(server, entity, first, domain)
        assert nodes == _stored(store, table, domain), domain
    assert gql(server, "{ shop { ianaTimezone } }")["data"]["shop"]["ianaTimezone"]


def test_locations_and_inventory_pages(server, store):
    domain = store.shops()[0]["domain"]
    assert _page_all_shop(server, LOCATIONS, 10, domain) == _stored(store, "locations", domain)
    items = _page_all_shop(server, INVENTORY_ITEMS, 100, domain)
    levels = [
        {**level, "item": {"id": item["id"], "sku": item["sku"]}}
        for item in items
        for level in item["inventoryLevels"]
    ]
    key = lambda row: row["id"]  # noqa: E731
    assert sorted(levels, key=key) == sorted(_stored(store, "inventory_levels", domain), key=key)


def test_bulk_orders_equal_the_store(server, store):
    domain = store.shops()[0]["domain"]
    node = run_bulk(server, ORDERS.bulk_document())
    assert regroup(download(node["url"]), "lineItems") == _stored(store, "orders", domain)


def test_chatwoot_conversations_and_messages_cover_the_store(server, store):
    shop = store.shops()[0]
    headers = {"api_access_token": "cw_sandbox_token"}
    base = f"{server}/api/v1/accounts/{shop['chatwoot_account_id']}"
    seen, page = [], 1
    while True:
        body = requests.get(
            f"{base}/conversations", params={"status": "all", "page": page}, headers=headers
        ).json()
        if not body["data"]["payload"]:
            break
        seen.extend(c["id"] for c in body["data"]["payload"])
        page += 1
    stored_ids = [
        r.payload["id"] for r in store.iter_records("chatwoot", "conversations", shop["domain"])
    ]
    assert sorted(seen) == sorted(stored_ids) and len(seen) == len(set(seen))
    conversation = seen[0]
    messages, before = [], None
    while True:
        params = {"before": before} if before else {}
        rows = requests.get(
            f"{base}/conversations/{conversation}/messages", params=params, headers=headers
        ).json()["payload"]
        if not rows:
            break
        messages = rows + messages
        before = rows[0]["id"]
    expected = sorted(
        (
            r.payload
            for r in store.iter_records(
                "chatwoot", "messages", shop["domain"], parent_id=str(conversation)
            )
        ),
        key=lambda m: m["id"],
    )
    assert messages == expected


def test_projected_paths_equal_the_decoded_payloads(store):
    """``project`` (SQLite reads the paths) gives what the decoded payloads hold at those paths,
    types included; the conversation list built from it is the one the payloads give."""
    from sandbox.server.data import DataAccess

    shop = store.shops()[0]["domain"]
    paths = ("$.id", "$.status", "$.meta.assignee", "$.meta.assignee.id", "$.labels", "$.absent.x")
    projected = {row[0]: row[1:] for row in store.project("chatwoot", "conversations", shop, paths)}
    records = list(store.iter_records("chatwoot", "conversations", shop))
    assert records and len(projected) == len(records)
    for record in records:
        meta = record.payload.get("meta") or {}
        assignee = meta.get("assignee")
        expected = (
            record.payload["id"],
            record.payload["status"],
            assignee,
            assignee.get("id") if isinstance(assignee, dict) else None,
            record.payload["labels"],
            None,
        )
        assert projected[record.id] == expected
        assert [type(v) for v in projected[record.id]] == [type(v) for v in expected]
    with pytest.raises(ValueError, match="unsupported JSON path"):
        store.project("chatwoot", "conversations", shop, ("$.id') --",))

    listing = DataAccess(store).conversation_order(shop)
    decoded = sorted(
        records,
        key=lambda r: (-int(r.payload.get("last_activity_at") or 0), -int(r.payload["id"])),
    )
    assert [row[0] for row in listing] == [r.id for r in decoded]
    assert any(row[2] for row in listing) and not all(row[2] for row in listing)  # assigned
    assert {row[1] for row in listing} == {r.payload["status"] for r in records}
