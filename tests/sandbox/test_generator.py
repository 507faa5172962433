"""The sandbox generator and store: determinism, scale, payload shapes, advance, golden truth."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from graphql import FieldNode, parse

from extractors.shopify import queries
from sandbox.store import ENTITIES, SandboxStore

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
ORDERS = 3_000
SEED = 11


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    opened = SandboxStore.open(ORDERS, SEED, now=NOW, cache_dir=tmp_path_factory.mktemp("sbx"))
    yield opened
    opened.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_bytes_and_truth(tmp_path: Path) -> None:
    first = SandboxStore.open(1_500, 3, now=NOW, cache_dir=tmp_path / "a")
    second = SandboxStore.open(1_500, 3, now=NOW, cache_dir=tmp_path / "b")
    other = SandboxStore.open(1_500, 4, now=NOW, cache_dir=tmp_path / "c")
    try:
        assert first.path != second.path
        assert _sha(first.path) == _sha(second.path)
        assert json.dumps(first.truth(), sort_keys=True) == json.dumps(
            second.truth(), sort_keys=True
        )
        assert _sha(first.path) != _sha(other.path)
    finally:
        for s in (first, second, other):
            s.close()


def test_cached_file_is_reused(store: SandboxStore) -> None:
    before = store.cached_path.stat().st_mtime_ns
    again = SandboxStore.open(ORDERS, SEED, now=NOW, cache_dir=store.cached_path.parent)
    try:
        assert again.path == store.cached_path
        assert store.cached_path.stat().st_mtime_ns == before
    finally:
        again.close()


def test_scale_shares_and_shops(store: SandboxStore) -> None:
    shops = {s["domain"]: s for s in store.shops()}
    assert list(shops) == [
        "hot-rod-an.sandbox.test",
        "speedway-classics.sandbox.test",
        "maple-street-rods.sandbox.test",
    ]
    counts = {d: store.count("shopify", "orders", d) for d in shops}
    assert sum(counts.values()) == ORDERS
    assert [counts[d] / ORDERS for d in shops] == pytest.approx([0.6, 0.3, 0.1], abs=0.01)
    expected = {
        "hot-rod-an.sandbox.test": ("America/Los_Angeles", "USD", 1),
        "speedway-classics.sandbox.test": ("America/Chicago", "USD", 2),
        "maple-street-rods.sandbox.test": ("America/Toronto", "CAD", 3),
    }
    for domain, (tz, currency, account) in expected.items():
        shop = shops[domain]
        assert (shop["timezone"], shop["currency"], shop["chatwoot_account_id"]) == (
            tz,
            currency,
            account,
        )
        [record] = list(store.iter_records("shopify", "shops", domain))
        assert record.payload["ianaTimezone"] == tz
        assert record.payload["currencyCode"] == currency
        assert record.payload["myshopifyDomain"] == domain
        assert store.count("shopify", "locations", domain) >= 2
        orders = list(store.iter_records("shopify", "orders", domain))
        assert {o.payload["currencyCode"] for o in orders} == {currency}
        first = min(datetime.fromisoformat(o.payload["createdAt"]) for o in orders)
        last = max(datetime.fromisoformat(o.payload["createdAt"]) for o in orders)
        assert last <= NOW
        assert NOW - first >= timedelta(days=395)  # at least 13 months
        numbers = sorted(int(o.id.rsplit("/", 1)[1]) for o in orders)
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))  # sequential


def _selection_tree(selection: str) -> dict:
    document = parse("{ " + selection + " }")

    def walk(node_set) -> dict:  # noqa: ANN001
        tree = {}
        for sel in node_set.selections:
            assert isinstance(sel, FieldNode)
            key = sel.alias.value if sel.alias else sel.name.value
            tree[key] = walk(sel.selection_set) if sel.selection_set else None
        return tree

    return walk(document.definitions[0].selection_set)


NULLABLE = {  # fields the Admin API schema declares nullable (may be null in a payload)
    "fitment", "compareAtPrice", "unitCost", "cancelledAt", "closedAt", "customer",
    "deliveredAt", "inTransitAt", "estimatedDeliveryAt", "note", "defaultPhoneNumber",
    "defaultAddress", "defaultEmailAddress", "sku", "vendor", "variant", "product",
    "shippingAddress", "displayFinancialStatus", "displayStatus", "sourceName",
    "provinceCode", "city", "zip", "phoneNumber", "location", "shippingLine",
}  # fmt: skip


def _assert_has(tree: dict, payload: dict, where: str) -> None:
    for key, sub in tree.items():
        if key == "edges":  # a flattened nested connection: check the node
            continue
        assert key in payload, f"{where}.{key} missing"
        value = payload[key]
        if value is None:
            assert key in NULLABLE, f"{where}.{key} is null but the schema says non-null"
            continue
        if sub is None:
            continue
        if "edges" in sub:
            node = sub["edges"]["node"]
            assert isinstance(value, list), f"{where}.{key} must be a plain list"
            for item in value:
                _assert_has(node, item, f"{where}.{key}[]")
        elif isinstance(value, list):
            for item in value:
                _assert_has(sub, item, f"{where}.{key}[]")
        else:
            _assert_has(sub, value, f"{where}.{key}")


@pytest.mark.parametrize("entity", queries.ENTITIES, ids=lambda e: e.entity)
def test_payloads_carry_every_selected_field(store: SandboxStore, entity) -> None:  # noqa: ANN001
    tree = _selection_tree(entity.node_selection(paginated=True))
    records = list(store.iter_records("shopify", entity.entity, "hot-rod-an.sandbox.test"))
    assert records
    for record in records:
        payload = record.payload
        if entity.entity == "inventory_levels":  # the extractor lands one row per level
            level_tree = tree["inventoryLevels"]["edges"]["node"]
            _assert_has(level_tree, payload, "level")
            assert set(payload["item"]) == {"id", "sku"}
            assert record.parent_id == payload["item"]["id"]
        else:
            _assert_has(tree, payload, entity.entity)
        assert record.payload["id"] == record.id


def test_shop_payload_answers_the_shop_document(store: SandboxStore) -> None:
    tree = _selection_tree(queries.SHOP_DOCUMENT.split("shop {", 1)[1].rsplit("}", 2)[0])
    for shop in store.shops():
        [record] = list(store.iter_records("shopify", "shops", shop["domain"]))
        _assert_has(tree, record.payload, "shop")


def test_every_entity_has_records_for_every_shop(store: SandboxStore) -> None:
    for shop in store.shops():
        for source, entities in ENTITIES.items():
            for entity in entities:
                assert store.count(source, entity, shop["domain"]) > 0, (source, entity)


def test_keyset_paging_ordering_and_parent_filter(store: SandboxStore) -> None:
    domain = "speedway-classics.sandbox.test"
    everything = list(store.iter_records("shopify", "orders", domain))
    keys = [(r.updated_at, int(r.id.rsplit("/", 1)[1])) for r in everything]
    assert keys == sorted(keys)
    pages, after = [], None
    while True:
        page = list(store.iter_records("shopify", "orders", domain, after=after, limit=97))
        if not page:
            break
        pages.extend(page)
        after = (page[-1].updated_at, page[-1].id)
    assert [r.id for r in pages] == [r.id for r in everything]
    newest = list(store.iter_records("shopify", "orders", domain, descending=True, limit=5))
    assert [r.id for r in newest] == [r.id for r in everything[::-1][:5]]
    since = everything[len(everything) // 2].updated_at
    assert store.count("shopify", "orders", domain, updated_since=since) == sum(
        r.updated_at >= since for r in everything
    )
    conversation = next(store.iter_records("chatwoot", "conversations", domain))
    messages = list(store.iter_records("chatwoot", "messages", domain, parent_id=conversation.id))
    assert messages
    assert {m.payload["conversation_id"] for m in messages} == {conversation.payload["id"]}
    assert store.get("shopify", "orders", domain, everything[0].id) == everything[0].payload
    assert store.get("shopify", "orders", domain, "gid://shopify/Order/1") is None


def _recount(store: SandboxStore, domain: str, tz: str) -> dict:
    """An independent recount of the daily figures with Decimal (the docs' definitions)."""
    zone = ZoneInfo(tz)
    daily: dict[str, dict] = {}
    for record in store.iter_records("shopify", "orders", domain):
        order = record.payload
        if order["test"] or order["cancelledAt"]:
            continue
        day = datetime.fromisoformat(order["createdAt"]).astimezone(zone).date().isoformat()
        row = daily.setdefault(day, {"orders": 0, "gross": Decimal(0), "refunds": Decimal(0)})
        row["orders"] += 1
        row["gross"] += Decimal(order["totalPriceSet"]["shopMoney"]["amount"])
        for refund in order["refunds"]:
            rday = datetime.fromisoformat(refund["createdAt"]).astimezone(zone).date().isoformat()
            target = daily.setdefault(
                rday, {"orders": 0, "gross": Decimal(0), "refunds": Decimal(0)}
            )
            target["refunds"] += Decimal(refund["totalRefundedSet"]["shopMoney"]["amount"])
    return {
        day: {"orders": r["orders"], "gross_revenue": f"{r['gross']:.2f}",
              "refunds": f"{r['refunds']:.2f}"}
        for day, r in sorted(daily.items())
    }  # fmt: skip


def test_truth_matches_an_independent_recount(store: SandboxStore) -> None:
    truth = store.truth()
    assert truth["as_of"] == "2026-06-01T12:00:00Z"
    for shop in store.shops():
        shop_truth = truth["shops"][shop["domain"]]
        assert shop_truth["daily"] == _recount(store, shop["domain"], shop["timezone"])
        assert shop_truth["counts"]["shopify.orders"] == store.count(
            "shopify", "orders", shop["domain"]
        )
        assert set(shop_truth["counts"]) == {
            f"{s}.{e}" for s, entities in ENTITIES.items() for e in entities
        }
        assert shop_truth["fulfillment_sla_breaches"] > 0
        assert shop_truth["cx_first_response_breaches"] > 0
        units = sum(v["units"] for v in shop_truth["sku_30d"].values())
        assert units > 0
    hot = truth["shops"]["hot-rod-an.sandbox.test"]
    # the SKU window: 30 local days ending on the as-of local day
    window = {
        (NOW.astimezone(ZoneInfo("America/Los_Angeles")).date() - timedelta(days=k)).isoformat()
        for k in range(30)
    }
    revenue = Decimal(0)
    for record in store.iter_records("shopify", "orders", "hot-rod-an.sandbox.test"):
        order = record.payload
        day = (
            datetime.fromisoformat(order["createdAt"])
            .astimezone(ZoneInfo("America/Los_Angeles"))
            .date()
            .isoformat()
        )
        if order["test"] or order["cancelledAt"] or day not in window:
            continue
        for li in order["lineItems"]:  # net: the discounted total of the current units
            ordered = Decimal(li["discountedTotalSet"]["shopMoney"]["amount"])
            share = ordered * li["currentQuantity"] / li["quantity"]
            revenue += share.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert sum(Decimal(v["revenue"]) for v in hot["sku_30d"].values()) == revenue
    assert len(truth["personas"]) == sum(
        store.count("shopify", "customers", s["domain"]) for s in store.shops()
    )


def test_advance_adds_orders_updates_and_moves_the_truth(tmp_path: Path) -> None:
    store = SandboxStore.open(2_000, 5, now=NOW, cache_dir=tmp_path)
    try:
        cached_sha = _sha(store.cached_path)
        before = store.truth()
        orders_before = store.count("shopify", "orders", None)
        changes = store.advance(1)
        assert store.now == NOW + timedelta(days=1)
        assert store.path != store.cached_path
        assert _sha(store.cached_path) == cached_sha  # the cache stays pristine
        topics = {c.topic for c in changes}
        assert {"orders/create", "orders/updated", "inventory_levels/update"} <= topics
        # paid at checkout (order edits and refunds: below, over a week)
        paid = {(c.shop_domain, c.id) for c in changes if c.topic == "orders/paid"}
        assert paid == {(c.shop_domain, c.id) for c in changes if c.topic == "orders/create"}
        created = [c for c in changes if c.topic == "orders/create"]
        assert store.count("shopify", "orders", None) == orders_before + len(created)
        for change in created:
            stored = store.get("shopify", "orders", change.shop_domain, change.id)
            assert stored is not None
            assert stored["createdAt"] == change.payload["createdAt"]
            assert NOW < datetime.fromisoformat(stored["createdAt"]) <= store.now
        updated_old = [
            c for c in changes
            if c.topic == "orders/updated"
            and datetime.fromisoformat(c.payload["createdAt"]) <= NOW
        ]  # fmt: skip
        assert updated_old, "older orders get fulfilled, delivered or refunded later"
        # the newest change of each record is what the store now holds
        last: dict[tuple, dict] = {}
        for change in changes:
            last[(change.source, change.entity, change.shop_domain, change.id)] = change.payload
        for (source, entity, domain, rid), payload in last.items():
            assert store.get(source, entity, domain, rid) == payload, (entity, rid)
        after = store.truth()
        assert after["as_of"] == "2026-06-02T12:00:00Z"
        for shop in store.shops():
            domain = shop["domain"]
            assert after["shops"][domain]["daily"] == _recount(store, domain, shop["timezone"])
            assert after["shops"][domain]["counts"]["shopify.orders"] == store.count(
                "shopify", "orders", domain
            )
        assert after != before
        again = store.advance(2)
        assert again and store.now == NOW + timedelta(days=3)
        week = {c.topic for c in store.advance(7)}
        assert {"orders/edited", "refunds/create"} <= week  # their own topics (issue 13)
    finally:
        store.close()
    assert not list(tmp_path.glob("*.live-*"))  # the working copy is removed on close


def test_advance_is_deterministic(tmp_path: Path) -> None:
    results = []
    for name in ("a", "b"):
        store = SandboxStore.open(1_000, 9, now=NOW, cache_dir=tmp_path / name)
        try:
            changes = store.advance(1)
            results.append(
                (
                    [(c.entity, c.id, c.topic, json.dumps(c.payload)) for c in changes],
                    json.dumps(store.truth(), sort_keys=True),
                )
            )
        finally:
            store.close()
    assert results[0] == results[1]


def test_worker_process_and_in_process_generation_give_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sandbox.generator as generator

    inline = SandboxStore.open(1_200, 8, now=NOW, cache_dir=tmp_path / "inline")
    monkeypatch.setattr(generator, "PARALLEL_FROM", 1)
    parallel = SandboxStore.open(1_200, 8, now=NOW, cache_dir=tmp_path / "worker")
    try:
        assert _sha(inline.path) == _sha(parallel.path)
    finally:
        inline.close()
        parallel.close()
    assert not list((tmp_path / "worker").glob("sandbox-part-*"))


def test_concurrent_opens_generate_once(tmp_path: Path) -> None:
    import threading

    opened: list[SandboxStore] = []

    def open_store() -> None:
        opened.append(SandboxStore.open(1_000, 2, now=NOW, cache_dir=tmp_path))

    threads = [threading.Thread(target=open_store) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len(opened) == 3 and len({s.path for s in opened}) == 1
        assert len(list(tmp_path.glob("*.sqlite"))) == 1
        assert not list(tmp_path.glob("*.tmp"))
    finally:
        for store in opened:
            store.close()


def test_some_orders_are_edited_as_shopify_shows_it(store: SandboxStore) -> None:
    """Order edits: removed units leave quantity and discountedTotalSet as ordered and lower
    currentQuantity; a removed line stays in lineItems at 0; the totals follow the edit."""
    removed_lines = reduced_lines = 0
    for record in store.iter_records("shopify", "orders", "hot-rod-an.sandbox.test"):
        order = record.payload
        if order["cancelledAt"] or order["refunds"]:
            continue
        for li in order["lineItems"]:
            assert 0 <= li["currentQuantity"] <= li["quantity"]
            removed_lines += li["currentQuantity"] == 0
            reduced_lines += 0 < li["currentQuantity"] < li["quantity"]
        if any(li["currentQuantity"] < li["quantity"] for li in order["lineItems"]):
            assert any(li["currentQuantity"] for li in order["lineItems"])
            subtotal = Decimal(order["subtotalPriceSet"]["shopMoney"]["amount"])
            ordered = sum(
                Decimal(li["discountedTotalSet"]["shopMoney"]["amount"])
                for li in order["lineItems"]
            )
            assert subtotal < ordered
    assert removed_lines > 10 and reduced_lines > 10


def test_merchant_actions_change_the_working_copy_only(tmp_path: Path) -> None:
    """rename_shop and set_sku (the stand-in's shop/update and inventory_items/update causes)."""
    store = SandboxStore.open(1_000, 5, now=NOW, cache_dir=tmp_path)
    try:
        cached_sha = _sha(store.cached_path)
        domain = store.shops()[0]["domain"]
        renamed = store.rename_shop(domain, "Renamed")
        assert renamed is not None and renamed["name"] == "Renamed"
        assert renamed["updatedAt"] == "2026-06-01T12:00:00Z"
        shop = next(store.iter_records("shopify", "shops", domain))
        assert shop.payload == renamed
        product = next(store.iter_records("shopify", "products", domain)).payload
        variant = product["variants"][0]
        changed = store.set_sku(domain, variant["id"], "NEW-SKU")
        assert changed is not None
        new_product, item = changed
        assert item == variant["inventoryItem"]["id"]
        assert store.get("shopify", "products", domain, product["id"]) == new_product
        assert new_product["variants"][0]["sku"] == "NEW-SKU"
        levels = [
            r.payload
            for r in store.iter_records("shopify", "inventory_levels", domain)
            if r.payload["item"]["id"] == item
        ]
        assert levels and {level["item"]["sku"] for level in levels} == {"NEW-SKU"}
        assert store.set_sku(domain, "gid://shopify/ProductVariant/0", "X") is None
        assert store.rename_shop("nowhere.example", "X") is None
        assert _sha(store.cached_path) == cached_sha
    finally:
        store.close()
