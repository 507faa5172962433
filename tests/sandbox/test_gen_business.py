"""The generated business behaves like the one the marts are built for (SPEC §3)."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from statistics import median

import pytest

from sandbox.generator.catalog import taxonomy
from sandbox.store import SandboxStore

NOW = datetime(2026, 9, 1, 0, tzinfo=UTC)
HOT = "hot-rod-an.sandbox.test"
FITMENT = re.compile(r"^\d{4}(-\d{4})? [A-Za-z]+ .+$")
RACING_CATEGORIES = {"Fuel & Carburetion", "Ignition", "Exhaust", "Suspension", "Brakes"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    opened = SandboxStore.open(5_000, 21, now=NOW, cache_dir=tmp_path_factory.mktemp("biz"))
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def orders(store: SandboxStore) -> list[dict]:
    return [
        r.payload
        for s in store.shops()
        for r in store.iter_records("shopify", "orders", s["domain"])
    ]  # noqa: E501


def _money(value: dict) -> Decimal:
    return Decimal(value["shopMoney"]["amount"])


def test_order_arithmetic_and_lifecycle(orders: list[dict]) -> None:
    edited = 0
    for order in orders:
        lines = order["lineItems"]
        assert lines
        ordered = sum(_money(li["discountedTotalSet"]) for li in lines)
        subtotal = _money(order["subtotalPriceSet"])
        if subtotal != ordered:
            # an order edit removed units: the subtotal is the edited one, lower than what was
            # ordered, and some line holds fewer current units than it was ordered with
            assert 0 <= subtotal < ordered, order["name"]
            assert any(li["currentQuantity"] < li["quantity"] for li in lines), order["name"]
            edited += 1
        else:
            gross = sum(_money(li["originalUnitPriceSet"]) * li["quantity"] for li in lines)
            assert gross - subtotal == _money(order["totalDiscountsSet"])
        assert _money(order["totalPriceSet"]) >= _money(order["subtotalPriceSet"])
        refunded = sum(_money(r["totalRefundedSet"]) for r in order["refunds"])
        assert refunded == _money(order["totalRefundedSet"])
        for refund in order["refunds"]:
            assert refund["createdAt"] > order["createdAt"]
        if order["cancelledAt"]:
            assert not order["fulfillments"] and order["displayFinancialStatus"] == "VOIDED"
        for ful in order["fulfillments"]:
            assert ful["createdAt"] > order["createdAt"] and ful["status"] == "SUCCESS"
        assert order["updatedAt"] >= order["createdAt"]
    assert 0 < edited < len(orders) * 0.1  # about 4% of orders are edited before shipping
    assert sum(o["test"] for o in orders) >= 5
    assert sum(o["cancelledAt"] is not None for o in orders) >= 50
    assert sum(bool(o["refunds"]) for o in orders) >= 100
    assert sum(len(o["lineItems"]) > 1 for o in orders) >= 1_000
    assert sum(bool(o["discountCodes"]) for o in orders) >= 500
    guests = sum(o["customer"] is None for o in orders) / len(orders)
    assert 0.08 < guests < 0.2


def test_fulfillment_problems_are_tagged(orders: list[dict]) -> None:
    issues, severities = Counter(), Counter()
    late = 0
    for order in orders:
        for tag in order["tags"]:
            if tag.startswith("issue:"):
                issues[tag.split(":", 1)[1]] += 1
            if tag.startswith("severity:"):
                severities[tag.split(":", 1)[1]] += 1
        if order["fulfillments"]:
            first = min(f["createdAt"] for f in order["fulfillments"])
            hours = (
                datetime.fromisoformat(first) - datetime.fromisoformat(order["createdAt"])
            ).total_seconds() / 3600
            late += hours > 48
    assert set(issues) == {
        "delayed_shipping", "missing_items", "damaged_goods", "wrong_address", "inventory_shortage"
    }  # fmt: skip
    assert set(severities) <= {"low", "medium", "high", "critical"} and len(severities) == 4
    assert 0.03 < late / len(orders) < 0.2


def test_demand_curve_trend_season_and_week(store: SandboxStore, orders: list[dict]) -> None:
    by_month: Counter = Counter()
    by_weekday: Counter = Counter()
    for order in orders:
        created = datetime.fromisoformat(order["createdAt"])
        by_month[created.strftime("%Y-%m")] += 1
        by_weekday[created.weekday()] += 1
    months = sorted(by_month)
    assert len(months) >= 13
    assert sum(by_month[m] for m in months[-4:-1]) > 1.5 * sum(by_month[m] for m in months[1:4])
    assert by_weekday[5] > by_weekday[2]  # Saturday beats Wednesday
    season = [m for m in months[1:-1] if 3 <= int(m[5:]) <= 9]
    off = [m for m in months[1:-1] if not 3 <= int(m[5:]) <= 9]
    per_month = {m: by_month[m] for m in months}
    # same-year comparison removes the growth trend: 2026 Apr-Jul vs 2026 Jan-Feb
    assert per_month["2026-04"] + per_month["2026-05"] > 1.3 * (
        per_month["2026-01"] + per_month["2026-02"]
    )
    assert season and off


def test_catalog_taxonomy_fitment_and_flags(store: SandboxStore) -> None:
    types = {row.product_type for row in taxonomy()}
    tags: Counter = Counter()
    fitments = 0
    for record in store.iter_records("shopify", "products", HOT):
        product = record.payload
        assert product["productType"] in types
        for tag in product["tags"]:
            tags[tag.split(":", 1)[0] if tag.startswith("fits:") else tag] += 1
            if tag.startswith("fits:"):
                assert FITMENT.match(tag[5:]), tag
        if product["fitment"]:
            fitments += 1
            assert product["fitment"]["type"] == "list.single_line_text_field"
            for vehicle in json.loads(product["fitment"]["value"]):
                assert FITMENT.match(vehicle), vehicle
        for variant in product["variants"]:
            cost = Decimal(variant["inventoryItem"]["unitCost"]["amount"])
            assert Decimal(0) < cost < Decimal(variant["price"])
    assert fitments > 20 and tags["fits"] > 20
    assert tags["performance"] and tags["restoration"] and tags["custom-fab"]


def test_inventory_has_every_stock_state(store: SandboxStore) -> None:
    available = []
    skus = {
        v["sku"]
        for r in store.iter_records("shopify", "products", HOT)
        for v in r.payload["variants"]
    }
    for record in store.iter_records("shopify", "inventory_levels", HOT):
        quantities = {q["name"]: q["quantity"] for q in record.payload["quantities"]}
        assert quantities["on_hand"] == quantities["available"] + quantities["committed"]
        assert record.payload["item"]["sku"] in skus
        available.append(quantities["available"])
    assert available.count(0) > 20
    assert max(available) > 100


def _customer_features(store: SandboxStore, orders: list[dict]) -> dict[str, dict]:
    categories = {}
    for shop in store.shops():
        for record in store.iter_records("shopify", "products", shop["domain"]):
            l1 = next(r.l1 for r in taxonomy() if r.product_type == record.payload["productType"])
            categories[record.id] = l1
    features: dict[str, dict] = defaultdict(lambda: {"orders": 0, "total": Decimal(0),
                                                     "lines": Counter(), "units": 0, "n_lines": 0,
                                                     "season": 0})  # fmt: skip
    for order in orders:
        if order["customer"] is None or order["test"]:
            continue
        f = features[order["customer"]["id"]]
        f["orders"] += 1
        f["total"] += _money(order["totalPriceSet"])
        f["season"] += 3 <= int(order["createdAt"][5:7]) <= 9
        for line in order["lineItems"]:
            f["lines"][categories[line["product"]["id"]]] += 1
            f["units"] += line["quantity"]
            f["n_lines"] += 1
    return features


def _rule(customer: dict, f: dict) -> str:
    """A transparent rule set, as a segmentation model might learn it."""
    if "wholesale" in customer["tags"]:
        return "Professional Shop"
    lines = sum(f["lines"].values()) or 1
    if f["lines"]["Restoration Trim"] / lines >= 0.4:
        return "Enthusiast Collector"
    if sum(f["lines"][c] for c in RACING_CATEGORIES) / lines >= 0.75 and f["orders"] >= 2:
        return "Racing Enthusiast"
    if f["orders"] <= 2 and f["total"] / max(f["orders"], 1) < 400:
        return "First-time Builder"
    return "DIY Builder"


def test_personas_are_learnable(store: SandboxStore, orders: list[dict]) -> None:
    personas = store.truth()["personas"]
    assert set(personas.values()) == {
        "DIY Builder", "Professional Shop", "Enthusiast Collector", "First-time Builder",
        "Racing Enthusiast",
    }  # fmt: skip
    features = _customer_features(store, orders)
    customers = {
        r.id: r.payload
        for s in store.shops()
        for r in store.iter_records("shopify", "customers", s["domain"])  # noqa: E501
    }
    hits = total = 0
    units: dict[str, list[float]] = defaultdict(list)
    for gid, persona in personas.items():
        customer = customers[gid]
        assert ("wholesale" in customer["tags"]) == (persona == "Professional Shop")
        if persona == "First-time Builder":
            assert int(customer["numberOfOrders"]) <= 2
        f = features.get(gid)
        if not f:
            continue
        units[persona].append(f["units"] / f["n_lines"])
        total += 1
        hits += _rule(customer, f) == persona
    assert median(units["Professional Shop"]) > 2 * median(units["DIY Builder"])
    assert hits / total > 0.6, f"rule accuracy {hits / total:.2f}"


def test_chatwoot_ties_to_shopify_and_breaches_sometimes(store: SandboxStore) -> None:
    domain = HOT
    order_ids = {r.id for r in store.iter_records("shopify", "orders", domain)}
    customer_ids = {r.id for r in store.iter_records("shopify", "customers", domain)}
    contacts = {
        r.payload["id"]: r.payload for r in store.iter_records("chatwoot", "contacts", domain)
    }  # noqa: E501
    linked = escalated = 0
    for record in store.iter_records("chatwoot", "contacts", domain):
        numeric = record.payload["custom_attributes"].get("shopify_customer_id")
        if numeric:
            assert f"gid://shopify/Customer/{numeric}" in customer_ids
    first_reply: dict[int, int] = {}
    senders: Counter = Counter()
    by_agent: dict[int, list[int]] = defaultdict(list)
    conversations = {
        r.payload["id"]: r.payload for r in store.iter_records("chatwoot", "conversations", domain)
    }  # noqa: E501
    for record in store.iter_records("chatwoot", "messages", domain):
        m = record.payload
        senders[m["sender_type"]] += 1
        if m["message_type"] == 1 and not m["private"] and m["conversation_id"] not in first_reply:
            first_reply[m["conversation_id"]] = m["created_at"]
            created = conversations[m["conversation_id"]]["created_at"]
            by_agent[m["sender_id"]].append(m["created_at"] - created)
    for conv in conversations.values():
        assert conv["meta"]["sender"]["id"] in contacts
        order_id = conv["custom_attributes"].get("shopify_order_id")
        if order_id:
            linked += 1
            assert f"gid://shopify/Order/{order_id}" in order_ids
        if "escalated" in conv["labels"]:
            escalated += 1
            assert conv["custom_attributes"]["escalation_reason"]
    breaches = sum(
        (first_reply.get(c["id"], 10**12) - c["created_at"]) > 7200 for c in conversations.values()
    )
    assert linked > len(conversations) / 2 and escalated > 5
    assert 0.05 < breaches / len(conversations) < 0.6
    assert senders["Contact"] and senders["User"]
    medians = sorted(median(v) for v in by_agent.values() if len(v) >= 10)
    assert len(medians) >= 3 and medians[-1] > 2 * medians[0]  # fast and slow agents


def test_app_tables(store: SandboxStore) -> None:
    installs = list(store.iter_records("app", "shops", None))
    assert len(installs) > 3
    assert sum(r.payload["activated_at"] is None for r in installs) >= 1
    for shop in store.shops():
        [app_shop] = list(store.iter_records("app", "shops", shop["domain"]))
        assert app_shop.payload["installed_at"] < app_shop.payload["activated_at"]
        decisions = [r.payload for r in store.iter_records("app", "decision_log", shop["domain"])]
        assert {d["decision"] for d in decisions} == {"approved", "rejected"}
        assert {d["scope"] for d in decisions} == {
            "inventory", "pricing", "fulfillment", "cx", "marketing"
        }  # fmt: skip
        entries = [r.payload for r in store.iter_records("app", "ceo_time_entries", shop["domain"])]
        dates = [e["entry_date"] for e in entries]
        assert len(dates) == len(set(dates)) > 30
