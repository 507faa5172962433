"""Shopify webhooks as change notices, driven by the documented bodies (contract fixtures).

Each documented body (tests/fixtures/payloads/shopify, with provenance), correctly signed, goes
through the real receiver; the record it names is fetched from the Shopify stand-in with
``nodes(ids:)`` and landed exactly as an extraction lands it. Deletes mark the raw row, a replay
stores nothing new, an older body after a newer one changes nothing, two topics of one action
(one X-Shopify-Event-Id) both land, and a failed fetch leaves the delivery pending until a retry.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from extractors import run, settings
from extractors.settings import ShopifySettings, WebhookSettings
from extractors.shopify import notices
from extractors.webhooks import pending
from extractors.webhooks.server import Receiver, start_receiver
from extractors.webhooks.verify import shopify_signature
from tests.conftest import _new_database
from tests.extractors.conftest import FAST_RETRIES, serve
from tests.extractors.sandbox_helpers import canon, query
from tests.sandbox.fake_store import FakeStore
from tests.support.dbt_runs import failure_summary, run_dbt_isolated
from warehouse.connection import drop_database

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads" / "shopify"
SHOP = "hot-rod-an.sandbox.test"
SECRET = "test_shopify_secret"
TOKEN = "shpat_sandbox_token"

# documented body -> (topic, raw table, GID of the record it names)
UPSERTS = {
    "orders_updated.json": ("orders/updated", "orders", "gid://shopify/Order/820982911946154508"),
    "fulfillments_create.json": (
        "fulfillments/create",
        "orders",
        "gid://shopify/Order/820982911946154508",
    ),
    "products_update.json": (
        "products/update",
        "products",
        "gid://shopify/Product/788032119674292922",
    ),
    "customers_update.json": (
        "customers/update",
        "customers",
        "gid://shopify/Customer/706405506930370084",
    ),
    "inventory_levels_update.json": (
        "inventory_levels/update",
        "inventory_levels",
        "gid://shopify/InventoryLevel/24826418?inventory_item_id=271878346596884015",
    ),
}


def documented(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def _seeded_store() -> FakeStore:
    """The stand-in's shop, holding the records the documented bodies name."""
    store = FakeStore(orders=3)
    now = store.now - timedelta(days=1)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")

    def clone(entity: str, gid: str, **changes) -> dict:
        record = next(iter(store.data[("shopify", entity, SHOP)].values()))
        payload = copy.deepcopy(record.payload) | {"id": gid, "updatedAt": stamp} | changes
        store.put("shopify", entity, SHOP, gid, now, payload)
        return payload

    order = clone("orders", UPSERTS["orders_updated.json"][2], name="#9999")
    order["lineItems"] = order.get("lineItems") or []
    clone("customers", UPSERTS["customers_update.json"][2], lastName="Biller")
    product = clone("products", UPSERTS["products_update.json"][2], title="Example T-Shirt")
    for number, variant in enumerate(product["variants"]):
        variant["id"] = f"gid://shopify/ProductVariant/64299617400{number}"
    level = UPSERTS["inventory_levels_update.json"][2]
    template = next(iter(store.data[("shopify", "inventory_levels", SHOP)].values())).payload
    store.put(
        "shopify",
        "inventory_levels",
        SHOP,
        level,
        now,
        copy.deepcopy(template)
        | {
            "id": level,
            "updatedAt": stamp,
            "location": {"id": "gid://shopify/Location/24826418"},
            "item": {"id": "gid://shopify/InventoryItem/271878346596884015", "sku": "IPOD-342-N"},
        },
    )
    return store


@pytest.fixture
def api():
    store = _seeded_store()
    server = serve(store)
    yield server, store
    server.stop()


def _settings(api_url: str) -> WebhookSettings:
    return WebhookSettings(
        shopify_secret=SECRET,
        default_shop=SHOP,
        shopify=ShopifySettings(
            shops=(SHOP,), access_token=TOKEN, base_url=api_url.rstrip("/") + "/shops/{shop}"
        ),
    )


@pytest.fixture
def receiver(api, fresh_db):
    running = start_receiver(fresh_db, _settings(api[0].url))
    yield running
    running.stop()


def post(base: str, body: bytes, topic: str, webhook_id: str, event_id: str | None = None):
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-API-Version": "2026-07",
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Event-Id": event_id or f"event-{webhook_id}",
        "X-Shopify-Triggered-At": "2026-05-31T12:00:00Z",
        "X-Shopify-Hmac-Sha256": shopify_signature(SECRET, body),
    }
    return requests.post(f"{base}/webhooks/shopify", data=body, headers=headers, timeout=30)


def _raw(url, table: str) -> dict[str, tuple]:
    deleted = "deleted_at" if table in ("orders", "products", "customers") else "null"
    rows = query(url, f"select id, updated_at, payload, {deleted} from raw_shopify.{table}")
    return {r[0]: r[1:] for r in rows}


def _extracted(api_url: str, entity: str, other_db) -> dict[str, dict]:
    """What a paginated extraction of the stand-in lands for ``entity`` (in ``other_db``)."""
    cfg = settings.from_env(
        {
            "SHOPIFY_SHOP": SHOP,
            "SHOPIFY_ACCESS_TOKEN": TOKEN,
            "SHOPIFY_API_BASE_URL": api_url + "/shops/{shop}",
        }
    )
    since = "2000-01-01T00:00:00Z"  # paged increments (the webhook path's node selection)
    options = run.RunOptions(since=since, progress=False, policy=FAST_RETRIES)
    run.extract_entity(other_db, cfg, "shopify", entity, options=options)
    return {k: v[1] for k, v in _raw(other_db, entity).items()}


def test_every_documented_upsert_body_lands_the_record_it_names(api, receiver, fresh_db):
    server, store = api
    for number, (name, (topic, _, _)) in enumerate(UPSERTS.items()):
        answer = post(receiver.url, documented(name), topic, f"w-{number}")
        assert answer.status_code == 200
        assert answer.json()["status"] == "applied", (name, answer.json())
    for _name, (_, table, gid) in UPSERTS.items():
        raw = _raw(fresh_db, table)
        assert gid in raw, f"{table}: {gid} not landed"
        expected = store.data[("shopify", table, SHOP)][gid].payload
        assert canon(raw[gid][1]) == canon(expected)
    assert query(fresh_db, "select count(*) from raw_app.quarantine") == [(0,)]
    events = query(
        fresh_db,
        "select count(*), count(applied_at), count(distinct record_gid) "
        "from raw_app.webhook_events",
    )
    # orders/updated and fulfillments/create name the same order
    assert events == [(5, 5, 4)]


def test_a_webhook_row_is_what_an_extraction_lands(api, receiver, fresh_db, server_url):
    server, _ = api
    post(receiver.url, documented("orders_updated.json"), "orders/updated", "w-o")
    post(receiver.url, documented("products_update.json"), "products/update", "w-p")
    other = _new_database(server_url, "notice_extract")
    try:
        for entity, gid in (
            ("orders", UPSERTS["orders_updated.json"][2]),
            ("products", UPSERTS["products_update.json"][2]),
        ):
            extracted = _extracted(server.url, entity, other)
            assert _raw(fresh_db, entity)[gid][1] == extracted[gid]
    finally:
        drop_database(other)


def test_a_delete_marks_the_row_and_keeps_it(api, receiver, fresh_db):
    post(receiver.url, documented("products_update.json"), "products/update", "w-1")
    gid = UPSERTS["products_update.json"][2]
    before = _raw(fresh_db, "products")[gid]
    assert before[2] is None
    answer = post(receiver.url, documented("products_delete.json"), "products/delete", "w-2")
    assert answer.status_code == 200 and answer.json()["status"] == "applied"
    after = _raw(fresh_db, "products")[gid]
    assert after[2] == datetime(2026, 5, 31, 12, tzinfo=UTC)  # X-Shopify-Triggered-At
    assert after[:2] == before[:2]  # payload and time kept
    # a late update delivery of the deleted record neither revives nor duplicates it
    post(receiver.url, documented("products_update.json"), "products/update", "w-3")
    assert _raw(fresh_db, "products")[gid][2] is not None
    assert query(fresh_db, "select count(*) from raw_shopify.products") == [(1,)]


@pytest.mark.parametrize(
    ("topic", "table", "gid"),
    [
        ("orders/delete", "orders", "gid://shopify/Order/820982911946154508"),
        ("customers/delete", "customers", "gid://shopify/Customer/706405506930370084"),
    ],
)
def test_order_and_customer_deletes_mark_their_rows(api, receiver, fresh_db, topic, table, gid):
    name = "orders_updated.json" if table == "orders" else "customers_update.json"
    post(receiver.url, documented(name), UPSERTS[name][0], "w-1")
    body = json.dumps({"id": int(gid.rsplit("/", 1)[1])}).encode()
    assert post(receiver.url, body, topic, "w-2").json()["status"] == "applied"
    assert _raw(fresh_db, table)[gid][2] is not None


def test_a_replay_stores_nothing_new(api, receiver, fresh_db):
    body = documented("orders_updated.json")
    assert post(receiver.url, body, "orders/updated", "w-1").json()["status"] == "applied"
    raw = _raw(fresh_db, "orders")
    again = post(receiver.url, body, "orders/updated", "w-1")
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert query(fresh_db, "select count(*) from raw_app.webhook_events") == [(1,)]
    assert _raw(fresh_db, "orders") == raw


def test_an_older_body_after_a_newer_one_changes_nothing(api, receiver, fresh_db):
    server, store = api
    gid = UPSERTS["orders_updated.json"][2]
    newer = json.loads(documented("orders_updated.json"))
    newer["updated_at"] = "2026-05-31T10:00:00-05:00"
    post(receiver.url, json.dumps(newer).encode(), "orders/updated", "w-new")
    landed = _raw(fresh_db, "orders")[gid]
    # the documented body (2021) arrives late: the record is fetched again, nothing changes
    post(receiver.url, documented("orders_updated.json"), "orders/updated", "w-old")
    assert _raw(fresh_db, "orders")[gid] == landed
    assert canon(landed[1]) == canon(store.data[("shopify", "orders", SHOP)][gid].payload)


def test_two_topics_of_one_action_both_land(api, receiver, fresh_db):
    first = post(receiver.url, documented("orders_updated.json"), "orders/updated", "w-a", "e-1")
    second = post(
        receiver.url, documented("fulfillments_create.json"), "fulfillments/create", "w-b", "e-1"
    )
    assert first.json()["status"] == second.json()["status"] == "applied"
    rows = query(
        fresh_db,
        "select delivery_id, event_id, topic, applied_at is not null "
        "from raw_app.webhook_events order by delivery_id",
    )
    assert rows == [
        ("w-a", "e-1", "orders/updated", True),
        ("w-b", "e-1", "fulfillments/create", True),
    ]


def test_a_failed_fetch_leaves_the_delivery_pending_until_a_retry(api, fresh_db):
    server, _ = api
    dead = start_receiver(fresh_db, _settings("http://127.0.0.1:9"))  # nothing listens there
    try:
        answer = post(dead.url, documented("customers_update.json"), "customers/update", "w-1")
    finally:
        dead.stop()
    assert answer.status_code == 200 and answer.json()["status"] == "stored; pending"
    pending = query(fresh_db, "select applied_at, attempts, last_error from raw_app.webhook_events")
    assert pending[0][0] is None and pending[0][1] == 1 and "127.0.0.1:9" in pending[0][2]
    assert query(fresh_db, "select count(*) from raw_app.quarantine") == [(0,)]
    assert query(fresh_db, "select count(*) from raw_shopify.customers") == [(0,)]
    healthy = start_receiver(fresh_db, _settings(server.url))
    try:
        assert healthy.receiver.retry_pending() == 1
    finally:
        healthy.stop()
    assert query(fresh_db, "select count(*) from raw_shopify.customers") == [(1,)]
    assert query(fresh_db, "select count(applied_at) from raw_app.webhook_events") == [(1,)]


def test_without_admin_api_settings_deliveries_wait(fresh_db):
    bare = start_receiver(fresh_db, WebhookSettings(shopify_secret=SECRET, default_shop=SHOP))
    try:
        answer = post(bare.url, documented("orders_updated.json"), "orders/updated", "w-1")
    finally:
        bare.stop()
    assert answer.json()["status"] == "stored; pending"
    assert query(fresh_db, "select record_gid, applied_at from raw_app.webhook_events") == [
        (UPSERTS["orders_updated.json"][2], None)
    ]


def test_a_body_naming_no_record_is_quarantined(receiver, fresh_db):
    body = json.dumps({"title": "no id"}).encode()
    assert post(receiver.url, body, "products/update", "w-1").json()["status"] == (
        "stored; quarantined"
    )
    reason = query(fresh_db, "select reason from raw_app.quarantine")[0][0]
    assert "no Product id" in reason


def test_every_spec_topic_names_a_record():
    spec_topics = (  # SPEC §2, Shopify webhooks (the privacy topics aside)
        "orders/create",
        "orders/updated",
        "orders/edited",
        "orders/fulfilled",
        "orders/paid",
        "orders/cancelled",
        "orders/delete",
        "refunds/create",
        "fulfillments/create",
        "fulfillments/update",
        "inventory_levels/update",
        "inventory_items/update",
        "products/create",
        "products/update",
        "products/delete",
        "customers/create",
        "customers/update",
        "customers/delete",
        "shop/update",
    )
    assert sorted(notices.TOPICS) == sorted(spec_topics)
    bodies = {
        "orders/edited": {"order_edit": {"id": 1, "order_id": 7}},
        "refunds/create": {"id": 3, "order_id": 7},
        "fulfillments/create": {"id": 3, "order_id": 7},
        "fulfillments/update": {"id": 3, "order_id": 7},
        "inventory_levels/update": {"inventory_item_id": 5, "location_id": 1},
        "inventory_items/update": {
            "id": 5,
            "admin_graphql_api_id": "gid://shopify/InventoryItem/5",
        },
        "shop/update": {"id": 9},
    }
    for topic in spec_topics:
        note = notices.notice(topic, bodies.get(topic, {"id": 7}))
        assert note is not None and note.gid.startswith("gid://shopify/")
        assert note.delete == topic.endswith("/delete")


def _schema_of(url, relation: str) -> str:
    rows = query(
        url, "select table_schema from information_schema.tables where table_name = %s", (relation,)
    )
    assert len(rows) == 1, rows
    return rows[0][0]


def _ids_in(url, relation: str, column: str) -> set:
    schema = _schema_of(url, relation)
    return {r[0] for r in query(url, f"select {column} from {schema}.{relation}")}


def test_deleted_records_leave_every_model_and_stay_in_raw(api, receiver, fresh_db, tmp_path):
    """The documented bodies land and build; the delete topics then remove the order, product
    and customer from every model, also from the incremental ones built before the delete."""
    for number, name in enumerate(("orders_updated.json", "products_update.json")):
        post(receiver.url, documented(name), UPSERTS[name][0], f"w-{number}")
    post(receiver.url, documented("customers_update.json"), "customers/update", "w-c")
    post(receiver.url, documented("fulfillments_create.json"), "fulfillments/create", "w-f")
    inventory = documented("inventory_levels_update.json")
    post(receiver.url, inventory, "inventory_levels/update", "w-i")
    models = ["+int_order_lines_enriched", "+int_orders_localized", "+stg_shopify__customers"]
    models += ["+stg_shopify__variants", "+stg_shopify__fulfillments"]
    models += ["+stg_shopify__inventory_levels"]
    build = ["build", "--select", *models, "--indirect-selection", "cautious"]
    checks = (
        ("stg_shopify__orders", "order_id", 820982911946154508),
        ("stg_shopify__order_lines", "order_id", 820982911946154508),
        ("stg_shopify__fulfillments", "order_id", 820982911946154508),
        ("int_orders_localized", "order_id", 820982911946154508),
        ("int_order_lines_enriched", "order_id", 820982911946154508),
        ("stg_shopify__products", "product_id", 788032119674292922),
        ("stg_shopify__variants", "product_id", 788032119674292922),
        ("stg_shopify__customers", "customer_id", 706405506930370084),
    )
    first = run_dbt_isolated(fresh_db, build, tmp_path, as_of="2026-06-01T12:00:00Z")
    assert first.returncode == 0, failure_summary(first)
    for relation, column, value in checks:
        assert value in _ids_in(fresh_db, relation, column), relation
    item = _ids_in(fresh_db, "stg_shopify__inventory_levels", "inventory_item_id")
    assert 271878346596884015 in item  # every documented upsert body reached the models
    for number, (topic, value) in enumerate(
        (
            ("orders/delete", 820982911946154508),
            ("products/delete", 788032119674292922),
            ("customers/delete", 706405506930370084),
        )
    ):
        body = json.dumps({"id": value}).encode()
        assert post(receiver.url, body, topic, f"d-{number}").json()["status"] == "applied"
    again = run_dbt_isolated(fresh_db, build, tmp_path, as_of="2026-06-01T12:00:00Z")
    assert again.returncode == 0, failure_summary(again)
    for relation, column, value in checks:
        assert value not in _ids_in(fresh_db, relation, column), relation
    kept = query(
        fresh_db,
        "select count(*) from (select deleted_at from raw_shopify.orders union all "
        "select deleted_at from raw_shopify.products union all "
        "select deleted_at from raw_shopify.customers) as raw where deleted_at is not null",
    )
    assert kept == [(3,)]


def test_a_product_deleted_in_the_stand_in_is_marked_through_its_delete_webhook(api, fresh_db):
    """End to end: the merchant deletes a product; the stand-in sends products/delete as Shopify
    documents it; the receiver marks the landed row; the API no longer returns it."""
    from sandbox import webhook_sender

    server, _ = api
    gid = UPSERTS["products_update.json"][2]
    running = start_receiver(fresh_db, _settings(server.url))
    try:
        post(running.url, documented("products_update.json"), "products/update", "w-1")
        done = requests.post(
            f"{server.url}/_sandbox/delete",
            json={"entity": "products", "shop": SHOP, "id": gid},
            timeout=10,
        )
        assert done.status_code == 200
        changes = webhook_sender.fetch_changes(server.url)
        deliveries = webhook_sender.build_deliveries(changes)
        assert [(d.topic, json.loads(d.body)) for d in deliveries] == [
            ("products/delete", {"id": 788032119674292922})
        ]
        report = webhook_sender.send(deliveries, running.url, shopify_secret=SECRET)
        assert report.delivered == 1
        # a late products/update of the deleted product: fetched, not returned, nothing changes
        post(running.url, documented("products_update.json"), "products/update", "w-2")
    finally:
        running.stop()
    payload_before = _raw(fresh_db, "products")[gid]
    assert payload_before[2] is not None
    late = query(
        fresh_db, "select last_error from raw_app.webhook_events where delivery_id = 'w-2'"
    )
    assert "not returned" in late[0][0]


def test_deliveries_stored_together_fetch_each_record_once(api, fresh_db):
    server, _ = api
    waiting = start_receiver(fresh_db, WebhookSettings(shopify_secret=SECRET, default_shop=SHOP))
    try:  # no Admin API settings: the deliveries wait
        for number, name in enumerate(
            ("orders_updated.json", "fulfillments_create.json", "products_update.json")
        ):
            post(waiting.url, documented(name), UPSERTS[name][0], f"w-{number}")
        post(waiting.url, documented("orders_updated.json"), "orders/paid", "w-3")
    finally:
        waiting.stop()
    asked: list[dict] = []
    shopify = _settings(server.url).shopify
    assert shopify is not None
    make = pending.client_factory(shopify)

    def counting(shop: str):
        client = make(shop)
        query_once = client.query

        def query(document, variables=None):
            asked.append(variables)
            return query_once(document, variables)

        client.query = query
        return client

    receiver = Receiver(fresh_db, _settings(server.url), make_client=counting)
    try:
        assert receiver.retry_pending() == 4
    finally:
        receiver.close()
    assert asked == [
        {"ids": [UPSERTS["orders_updated.json"][2]]},
        {"ids": [UPSERTS["products_update.json"][2]]},
    ]
    assert query(fresh_db, "select count(applied_at) from raw_app.webhook_events") == [(4,)]


def test_a_notice_reads_nested_lists_past_their_first_page(api, fresh_db, monkeypatch):
    """The nodes(ids:) fetch asks nested connections with a page size (250 line items, 100
    variants, 50 levels); a longer list is read to the end like an extraction reads it. With one
    node per nested page here, every list longer than one needs more pages."""
    from dataclasses import replace

    server, store = api
    small = {
        name: replace(query_, nested=tuple(replace(n, first=1) for n in query_.nested))
        for name, query_ in notices._QUERIES.items()
    }
    monkeypatch.setattr(notices, "_QUERIES", small)
    order_gid = UPSERTS["orders_updated.json"][2]
    product_gid = UPSERTS["products_update.json"][2]
    order = store.data[("shopify", "orders", SHOP)][order_gid].payload
    product = store.data[("shopify", "products", SHOP)][product_gid].payload
    order["lineItems"] = [
        dict(order["lineItems"][0], id=f"gid://shopify/LineItem/91{n}") for n in range(3)
    ]
    assert len(product["variants"]) > 1 and len(order["lineItems"]) > 1
    running = start_receiver(fresh_db, _settings(server.url))
    try:
        for number, name in enumerate(("orders_updated.json", "products_update.json")):
            answer = post(running.url, documented(name), UPSERTS[name][0], f"w-{number}")
            assert answer.json()["status"] == "applied"
    finally:
        running.stop()
    assert query(fresh_db, "select count(*) from raw_app.quarantine") == [(0,)]
    assert canon(_raw(fresh_db, "orders")[order_gid][1]) == canon(order)
    assert canon(_raw(fresh_db, "products")[product_gid][1]) == canon(product)


def test_every_topic_the_stand_in_sends_lands_through_the_receiver(api, receiver, fresh_db):
    """Each upsert topic of SPEC §2, as the stand-in's webhook sender builds it (REST body,
    Shopify's headers, signed), goes through the real receiver: the record it names is fetched
    with nodes(ids:) and landed as the stand-in holds it; nothing is quarantined."""
    from sandbox import webhook_sender

    server, store = api
    product_gid = UPSERTS["products_update.json"][2]
    variant = store.data[("shopify", "products", SHOP)][product_gid].payload["variants"][0]
    for route, body in (
        ("rename-shop", {"shop": SHOP, "name": "Hot Rod AN"}),
        ("set-sku", {"shop": SHOP, "variant": variant["id"], "sku": "AN-6-FITTING"}),
    ):  # merchant actions in the stand-in
        assert requests.post(f"{server.url}/_sandbox/{route}", json=body, timeout=10).ok
    changes = webhook_sender.fetch_changes(server.url)
    sent_by_actions = ["shop/update", "products/update", "inventory_items/update"]
    assert [c["topic"] for c in changes] == sent_by_actions
    order_gid = UPSERTS["orders_updated.json"][2]
    order = copy.deepcopy(store.data[("shopify", "orders", SHOP)][order_gid].payload)
    order["refunds"] = [{"id": "gid://shopify/Refund/5", "createdAt": order["updatedAt"]}]
    item_gid = variant["inventoryItem"]["id"]
    records = {
        "orders": order,
        "refunds": order,
        "fulfillments": order,
        "products": store.data[("shopify", "products", SHOP)][product_gid],
        "customers": store.data[("shopify", "customers", SHOP)][
            UPSERTS["customers_update.json"][2]
        ],
        "inventory_levels": next(iter(store.data[("shopify", "inventory_levels", SHOP)].values())),
    }
    others = [t for t in notices.UPSERT_TOPICS if t not in sent_by_actions]
    for number, topic in enumerate(others):
        record = records[topic.split("/")[0]]
        payload = getattr(record, "payload", record)
        changes.append(
            {
                "seq": 100 + number,
                "source": "shopify",
                "entity": topic.split("/")[0],
                "shop_domain": SHOP,
                "id": payload["id"],
                "topic": topic,
                "payload": payload,
            }
        )
    deliveries = webhook_sender.build_deliveries(changes)
    assert sorted(d.topic for d in deliveries) == sorted(notices.UPSERT_TOPICS)
    assert deliveries[1].event_id == deliveries[2].event_id != deliveries[0].event_id
    report = webhook_sender.send(deliveries, receiver.url, shopify_secret=SECRET)
    assert report.delivered == len(deliveries) and report.failed == 0
    events = query(
        fresh_db,
        "select topic, applied_at is not null, last_error from raw_app.webhook_events "
        "where last_error is not null or applied_at is null",
    )
    assert events == []
    assert query(fresh_db, "select count(*) from raw_app.quarantine") == [(0,)]
    shop = query(fresh_db, "select payload from raw_shopify.shops")
    assert [row[0]["name"] for row in shop] == ["Hot Rod AN"]
    for table, gid in (
        ("orders", order_gid),
        ("products", product_gid),
        ("customers", UPSERTS["customers_update.json"][2]),
    ):
        expected = store.data[("shopify", table, SHOP)][gid].payload
        assert canon(_raw(fresh_db, table)[gid][1]) == canon(expected)
    assert _raw(fresh_db, "products")[product_gid][1]["variants"][0]["sku"] == "AN-6-FITTING"
    levels = [v[1] for v in _raw(fresh_db, "inventory_levels").values()]
    skus = {level["item"]["sku"] for level in levels if level["item"]["id"] == item_gid}
    assert skus == {"AN-6-FITTING"}
