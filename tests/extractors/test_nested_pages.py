"""Nested connections read to the end in paged increments: no record is landed truncated
(issue 13 item 4)."""

from __future__ import annotations

import json
from dataclasses import replace

from extractors.http import HttpClient
from extractors.shopify import queries
from extractors.shopify.client import ShopifyClient
from extractors.shopify.extract import ShopifyExtractor
from sandbox.server import FaultConfig, start_server
from tests.extractors.conftest import FAST_RETRIES
from tests.extractors.test_bulk_regroup import _Landed
from tests.sandbox.fake_store import FakeStore

SHOP = "hot-rod-an.sandbox.test"


def _small_pages(entity: queries.EntityQuery) -> queries.EntityQuery:
    """The entity with one node per nested page, so every nested list needs more pages."""
    return replace(entity, nested=tuple(replace(n, first=1) for n in entity.nested))


def test_every_nested_page_is_read_before_the_record_lands():
    store = FakeStore(orders=25)
    running = start_server(store, faults=FaultConfig(bucket_size=1_000_000))
    try:
        http = HttpClient(ShopifyClient.headers("shpat_sandbox_token"), FAST_RETRIES)
        client = ShopifyClient(http, f"{running.url}/shops/{SHOP}/admin/api/2026-07/graphql.json")
        extractor = ShopifyExtractor(client, page_size=10)
        landed = {}
        for entity, table in ((queries.ORDERS, "orders"), (queries.PRODUCTS, "products")):
            load = _Landed()
            extractor._pages(_small_pages(entity), load, {}, None, whole=True)  # type: ignore[arg-type]
            assert load.bad == []
            landed[table] = {row.id: json.loads(row.payload) for row in load.rows}
        http.close()
    finally:
        running.stop()
    for table, field in (("orders", "lineItems"), ("products", "variants")):
        expected = {r.id: r.payload for r in store.iter_records("shopify", table, SHOP)}
        assert landed[table] == expected
        assert max(len(p[field]) for p in expected.values()) > 1  # the test reads more pages
