"""The stand-in's Shopify webhook bodies against the documented ones (contract, not extractors).

Every body the sandbox sends must be a REST resource with only keys Shopify's documented sample
of that topic has (tests/fixtures/payloads/shopify, with provenance), each of the sample's JSON
type; no GraphQL node, no invented key. The topics of one merchant action share an Event-Id.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from extractors.shopify import notices
from sandbox import shopify_bodies
from sandbox import webhook_sender as ws
from tests.sandbox.fake_store import FakeStore

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads" / "shopify"
SHOP = "hot-rod-an.sandbox.test"

# topic -> the documented sample it is checked against (Shopify publishes one order body for every
# orders/* topic, and one body per resource for its create/update topics)
SAMPLE_OF = {
    "orders/create": "orders_updated.json",
    "orders/updated": "orders_updated.json",
    "orders/cancelled": "orders_updated.json",
    "orders/fulfilled": "orders_updated.json",
    "fulfillments/create": "fulfillments_create.json",
    "fulfillments/update": "fulfillments_create.json",
    "inventory_levels/update": "inventory_levels_update.json",
    "products/create": "products_update.json",
    "products/update": "products_update.json",
    "customers/create": "customers_update.json",
    "customers/update": "customers_update.json",
    "orders/paid": "orders_updated.json",
    "orders/edited": "rest_keys/orders_edited.json",
    "refunds/create": "rest_keys/refunds_create.json",
    "inventory_items/update": "rest_keys/inventory_items_update.json",
    "shop/update": "rest_keys/shop_update.json",
    "orders/delete": "products_delete.json",
    "products/delete": "products_delete.json",
    "customers/delete": "products_delete.json",
}
ENTITY_OF = {
    "orders": "orders",
    "refunds": "orders",
    "fulfillments": "orders",
    "shop": "shops",
    "inventory_levels": "inventory_levels",
    "products": "products",
    "customers": "customers",
}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def extra_keys(body: Any, sample: Any, path: str = "") -> list[str]:
    """Keys (or JSON types) of ``body`` that the documented ``sample`` does not have."""
    problems: list[str] = []
    if isinstance(body, dict):
        if not isinstance(sample, dict):
            return [f"{path or '.'}: an object where the sample has {_json_type(sample)}"]
        for key, value in body.items():
            if key not in sample:
                problems.append(f"{path}.{key}: not in the documented body")
            elif value is not None and sample[key] is not None:
                problems.extend(extra_keys(value, sample[key], f"{path}.{key}"))
    elif isinstance(body, list):
        if body and not sample:
            return [f"{path}: the sample's list is empty, nothing to compare"]
        for item in body:
            problems.extend(extra_keys(item, sample[0], f"{path}[]"))
    elif _json_type(body) != _json_type(sample):
        problems.append(f"{path}: {_json_type(body)} where the sample has {_json_type(sample)}")
    return problems


def _sample(topic: str) -> dict:
    return json.loads((PAYLOADS / SAMPLE_OF[topic]).read_text())


def _record(store: FakeStore, entity: str) -> dict:
    records = store.data[("shopify", entity, SHOP)]
    return next(r.payload for r in records.values() if r.payload.get("lineItems") != [])


def _node(store: FakeStore, topic: str) -> dict:
    """The stand-in record a delivery of ``topic`` is built from (an edited, refunded order
    for the order edit and refund topics; the item as the stand-in serves InventoryItem)."""
    if topic == "inventory_items/update":
        level = _record(store, "inventory_levels")
        return {**level["item"], "updatedAt": level["updatedAt"], "tracked": True}
    node = copy.deepcopy(_record(store, ENTITY_OF[topic.split("/")[0]]))
    if topic == "orders/edited":
        line = node["lineItems"][0]
        node["lineItems"][0] = dict(line, quantity=2, currentQuantity=1)
    if topic == "refunds/create":
        node["refunds"] = [
            {
                "id": "gid://shopify/Refund/7",
                "createdAt": node["updatedAt"],
                "note": "damaged",
                "totalRefundedSet": node["totalPriceSet"],
            }
        ]
    return node


def test_every_topic_the_receiver_handles_is_checked():
    assert sorted(SAMPLE_OF) == sorted(notices.TOPICS)


@pytest.mark.parametrize("topic", sorted(SAMPLE_OF))
def test_every_body_has_only_documented_keys(topic):
    store = FakeStore(orders=5)
    body = shopify_bodies.body(topic, _node(store, topic))
    assert extra_keys(body, _sample(topic)) == []
    assert "graphql_node" not in json.dumps(body)
    # and the receiver can tell which record it names
    note = notices.notice(topic, body)
    assert note is not None and note.gid.startswith("gid://shopify/")


def test_edit_and_refund_bodies_name_what_changed():
    store = FakeStore(orders=5)
    edited = shopify_bodies.body("orders/edited", _node(store, "orders/edited"))["order_edit"]
    order = _node(store, "orders/edited")
    assert edited["order_id"] == int(order["id"].rsplit("/", 1)[1])
    assert edited["line_items"]["removals"] == [
        {"id": int(order["lineItems"][0]["id"].rsplit("/", 1)[1]), "delta": 1}
    ]
    refund = shopify_bodies.body("refunds/create", _node(store, "refunds/create"))
    assert refund["id"] == 7 and refund["admin_graphql_api_id"] == "gid://shopify/Refund/7"


def test_the_checker_catches_an_invented_key_and_a_wrong_type():
    sample = _sample("orders/updated")
    assert extra_keys({"id": 1, "graphql_node": {}}, sample) == [
        ".graphql_node: not in the documented body"
    ]
    assert extra_keys({"id": "1"}, sample) == [".id: str where the sample has number"]


def test_bodies_name_their_record_as_shopify_does():
    store = FakeStore(orders=5)
    order = _record(store, "orders")
    body = shopify_bodies.body("orders/updated", order)
    assert body["admin_graphql_api_id"] == order["id"]
    assert body["id"] == int(order["id"].rsplit("/", 1)[1])
    level = _record(store, "inventory_levels")
    inventory = shopify_bodies.body("inventory_levels/update", level)
    item = int(level["item"]["id"].rsplit("/", 1)[1])
    assert inventory["inventory_item_id"] == item
    assert inventory["admin_graphql_api_id"].endswith(f"?inventory_item_id={item}")
    assert shopify_bodies.body("products/delete", _record(store, "products")) == {
        "id": int(_record(store, "products")["id"].rsplit("/", 1)[1])
    }


def test_topics_of_one_action_share_the_event_id_and_not_the_webhook_id():
    store = FakeStore(orders=5)
    order = _record(store, "orders")
    changes = [
        {
            "seq": n,
            "source": "shopify",
            "entity": "orders",
            "shop_domain": SHOP,
            "id": order["id"],
            "topic": topic,
            "payload": order,
        }
        for n, topic in enumerate(("fulfillments/create", "orders/fulfilled", "orders/updated"))
    ]
    later = dict(order, updatedAt="2030-01-01T00:00:00Z")
    changes.append(dict(changes[-1], seq=9, payload=later))
    deliveries = ws.build_deliveries(changes)
    assert len({d.delivery_id for d in deliveries}) == 4
    assert len({d.event_id for d in deliveries[:3]}) == 1
    assert deliveries[3].event_id != deliveries[0].event_id
