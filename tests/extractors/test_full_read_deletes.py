"""Products missing from a complete full read are marked deleted (issue 13 item 2).

A product deleted in Shopify while no delete webhook reached us is absent from the next full
re-read (bulk first load or full refresh): its raw row is kept, with ``deleted_at`` set. A
variant lives inside its product's payload: the re-read product lands without it. Only a
complete, unfiltered read may mark: an increment, a failed operation's partial data, or a record
changed after the read began (landed by a webhook meanwhile) is never marked.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from extractors import run, settings
from extractors.errors import ExtractError
from extractors.records import iso
from extractors.shopify import extract
from tests.extractors.conftest import FAST_RETRIES, serve
from tests.extractors.sandbox_helpers import query
from tests.sandbox.fake_store import FakeStore
from warehouse.connection import connect

SHOP = "hot-rod-an.sandbox.test"
GONE = "gid://shopify/Product/1"  # deleted in the stand-in, no webhook
EDITED = "gid://shopify/Product/2"  # one of its two variants removed
KEPT = "gid://shopify/Product/3"
LATE = "gid://shopify/Product/77"  # landed by a webhook after the read began


def _cfg(api_url: str) -> settings.Settings:
    return settings.from_env(
        {
            "SHOPIFY_SHOP": SHOP,
            "SHOPIFY_ACCESS_TOKEN": "shpat_sandbox_token",
            "SHOPIFY_API_BASE_URL": api_url + "/shops/{shop}",
        }
    )


def _products(url) -> dict[str, tuple]:
    rows = query(url, "select id, deleted_at, payload from raw_shopify.products")
    return {r[0]: (r[1], r[2]) for r in rows}


def _extract(url, api_url: str, **kw) -> list:
    options = run.RunOptions(progress=False, policy=FAST_RETRIES, **kw)
    return run.extract_entity(url, _cfg(api_url), "shopify", "products", options=options)


def _change_the_catalog(store: FakeStore, url) -> None:
    """GONE deleted, EDITED loses a variant (Shopify changes its updatedAt), and LATE landed by a
    webhook with a time after the next read's start (the stand-in's clock)."""
    store.delete("shopify", "products", SHOP, GONE)
    edited = store.data[("shopify", "products", SHOP)][EDITED]
    edited.payload["variants"] = edited.payload["variants"][:1]
    edited.payload["updatedAt"] = iso(store.now - timedelta(hours=1))
    store.put("shopify", "products", SHOP, EDITED, store.now - timedelta(hours=1), edited.payload)
    with connect(url) as conn, conn.cursor() as cur:
        late = {"id": LATE, "title": "New", "updatedAt": iso(store.now + timedelta(hours=1))}
        cur.execute(
            "insert into raw_shopify.products (shop_domain, id, updated_at, payload, extracted_at, "
            "batch_id) values (%s, %s, %s, %s, now(), 'webhook:w-1')",
            (SHOP, LATE, late["updatedAt"], json.dumps(late)),
        )
        conn.commit()


@pytest.fixture
def api():
    store = FakeStore(orders=1)
    server = serve(store)
    yield server, store
    server.stop()


def test_a_full_read_marks_missing_products_and_keeps_them(api, fresh_db):
    server, store = api
    _extract(fresh_db, server.url)  # the first load (bulk)
    first = _products(fresh_db)
    assert {GONE, EDITED, KEPT} <= set(first) and all(d is None for d, _ in first.values())
    _change_the_catalog(store, fresh_db)

    _extract(fresh_db, server.url, since="2000-01-01T00:00:00Z")  # an increment marks nothing
    assert all(d is None for d, _ in _products(fresh_db).values())

    rows = _extract(fresh_db, server.url, full=True)
    after = _products(fresh_db)
    assert after[GONE][0] is not None  # marked, payload kept as it was
    assert after[GONE][1] == first[GONE][1]
    assert [after[p][0] for p in (EDITED, KEPT, LATE)] == [None, None, None]
    assert [v["id"] for v in after[EDITED][1]["variants"]] == [
        v["id"] for v in store.data[("shopify", "products", SHOP)][EDITED].payload["variants"]
    ]
    assert len(after[EDITED][1]["variants"]) == 1
    assert "1 missing from the full read marked deleted" in (rows[0].notes or "")
    marks = query(fresh_db, "select count(*) from raw_shopify.products where deleted_at is null")
    # a second full read changes nothing: the first mark stays
    _extract(fresh_db, server.url, full=True)
    assert _products(fresh_db)[GONE][0] == after[GONE][0]
    assert (
        query(fresh_db, "select count(*) from raw_shopify.products where deleted_at is null")
        == marks
    )


def test_partial_data_of_a_failed_read_marks_nothing(api, fresh_db, monkeypatch):
    pytest.importorskip("sandbox.server")
    from sandbox.server import FaultConfig

    server, store = api
    _extract(fresh_db, server.url)
    _change_the_catalog(store, fresh_db)
    failing = serve(store, FaultConfig(bulk_fail_after=1))  # the first operation FAILs
    monkeypatch.setattr(extract, "BULK_ATTEMPTS", 1)  # and is not started again
    try:
        with pytest.raises(ExtractError):
            _extract(fresh_db, failing.url, full=True)
        ops = list(failing.sandbox.bulk.ops.values())
    finally:
        failing.stop()
    assert [op.status for op in ops] == ["FAILED"] and ops[0].partial_url
    assert all(d is None for d, _ in _products(fresh_db).values())
