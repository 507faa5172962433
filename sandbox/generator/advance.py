"""Moves a store's clock forward: new orders and conversations, and the later life of older ones
(fulfillments, deliveries, refunds, cancellations, issue tags, replies, resolutions), inventory
moves and restocks, price changes, app log entries. Returns the changes for the webhook sender.

Each change carries the record as it was at the moment of the event (so a webhook replayed out
of order is older than the stored record); the store ends up holding every record as of the new
clock. Deterministic: the same store advanced by the same days gives the same changes.
"""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import date, datetime, timedelta

from sandbox.generator.app import AppLog
from sandbox.generator.business import ShopRun
from sandbox.generator.catalog import Catalog, master_catalog, product_payload, shop_catalog
from sandbox.generator.chatwoot import (
    ChatwootIds,
    agents_by_account,
    contact_payload,
    conversation_due,
    conversation_events,
    inboxes_by_account,
    render_conversation,
)
from sandbox.generator.clock import (
    DAY,
    HOUR_WEIGHTS,
    day_weight,
    local_date,
    local_midnight,
    zone,
)
from sandbox.generator.customers import Customer, CustomerPool, customer_payload
from sandbox.generator.inventory import level_payload, quantities
from sandbox.generator.money import cents
from sandbox.generator.orders import ShopState, next_due, order_events, render_order
from sandbox.generator.rand import below, randint
from sandbox.generator.shops import SHOP_BY_DOMAIN, SHOPS, ShopDef
from sandbox.generator.writer import dumps, seq_of
from sandbox.records import Change

HOUR = 3600
HOUR_TOTAL = sum(HOUR_WEIGHTS)
UPSERT = (
    "INSERT INTO records (kind, shop, id, seq, updated_at, parent_id, payload) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, shop, id) DO UPDATE SET "
    "updated_at = excluded.updated_at, parent_id = excluded.parent_id, payload = excluded.payload"
)


class Changes:
    """Changes collected with their event time; sorted by time at the end."""

    def __init__(self) -> None:
        self.items: list[tuple[int, int, object]] = []

    def add(
        self, at: int, source: str, entity: str, shop: str, rid: str, topic: str, payload: dict
    ) -> None:
        self.items.append((at, len(self.items), Change(source, entity, shop, rid, topic, payload)))

    def sorted(self) -> list:
        return [change for _, _, change in sorted(self.items, key=lambda item: item[:2])]


def advance_store(conn: sqlite3.Connection, seed: int, days: int) -> list:
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    old = int(meta["clock"])
    new = old + days * DAY
    changes = Changes()
    conn.execute("BEGIN IMMEDIATE")
    try:
        _process_pending(conn, changes, old, new)
        master = master_catalog(seed)
        agents = agents_by_account()
        inboxes = inboxes_by_account()
        rng = random.Random(f"{seed}:advance:{old}:{days}")
        for shop in SHOPS:
            counters = json.loads(meta[f"counters:{shop.domain}"])
            rate = json.loads(meta[f"rate:{shop.domain}"])
            start_day = date.fromisoformat(rate["start_day"])
            catalog = _load_catalog(conn, shop, master, seed, start_day)
            online = _online_locations(conn, shop)
            state = ShopState(shop, catalog, online)
            for key in ("order_seq", "line_seq", "fulfillment_seq", "refund_seq"):
                setattr(state, key, counters[key])
            ids = ChatwootIds(**json.loads(meta[f"chatwoot_ids:{shop.domain}"]))
            pool, contacts = _load_customers(conn, shop, counters["customer_seq"])
            run = ShopRun(
                state,
                pool,
                ids,
                agents[shop.chatwoot_account_id],
                inboxes[shop.chatwoot_account_id],
            )
            run.customer_contacts = contacts
            known = {c.seq for c in pool.customers}
            touched: dict[int, Customer] = {}
            sold: list[tuple[int, str, int]] = []  # (time, item gid, units)
            for created in _new_order_times(
                rng, shop, rate["per_weight"], start_day, old, new, days
            ):
                plan, customer, convs = run.place_order(
                    rng, created, datetime.fromtimestamp(created, zone(shop.timezone)).month
                )
                _apply_order(conn, changes, shop, plan, old, new, is_new=True)
                if customer is not None:
                    touched[customer.seq] = customer
                if not plan["test"]:
                    for line in plan["lines"]:
                        item = _item_of(catalog, line[5])
                        if item:
                            sold.append((created, item, line[3]))
                for conv in convs:
                    _apply_conversation(conn, changes, shop.domain, conv, old, new)
            for seq in sorted(touched):
                customer = touched[seq]
                gid, updated, payload = customer_payload(pool, customer)
                _upsert(conn, "shopify.customers", shop.domain, gid, updated, payload)
                topic = "customers/update" if seq in known else "customers/create"
                changes.add(updated, "shopify", "customers", shop.domain, gid, topic, payload)
                conn.execute(
                    "INSERT OR REPLACE INTO personas VALUES (?, ?, ?, ?)",
                    (shop.domain, gid, customer.persona, int(customer.active)),
                )
            _move_inventory(conn, changes, rng, shop, online[0] if online else None, sold, old, new)
            _change_prices(conn, changes, rng, shop, catalog, old, new, days)
            counters = {**state.counters(), "customer_seq": pool.next_seq}
            _set_meta(conn, f"counters:{shop.domain}", json.dumps(counters))
            _set_meta(conn, f"chatwoot_ids:{shop.domain}", json.dumps(ids.as_dict()))
            _advance_app(conn, meta, shop, seed, new)
        _set_meta(conn, "clock", str(new))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return changes.sorted()


def _set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def _upsert(
    conn: sqlite3.Connection,
    kind: str,
    shop: str,
    rid: str,
    updated: int,
    payload: dict,
    parent: str | None = None,
) -> None:
    conn.execute(UPSERT, (kind, shop, rid, seq_of(rid), updated, parent, dumps(payload)))


def _park(
    conn: sqlite3.Connection, kind: str, shop: str, rid: str, due: int | None, plan: dict
) -> None:
    if due is None:
        conn.execute(
            "DELETE FROM pending WHERE kind = ? AND shop = ? AND id = ?", (kind, shop, rid)
        )
    else:
        conn.execute(
            "INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?, ?)",
            (kind, shop, rid, due, dumps(plan)),
        )


# -- orders and conversations ---------------------------------------------------------------
def _process_pending(conn: sqlite3.Connection, changes: Changes, old: int, new: int) -> None:
    rows = conn.execute(
        "SELECT kind, shop, id, plan FROM pending WHERE due <= ? ORDER BY due, kind, shop, id",
        (new,),
    ).fetchall()
    for kind, shop, _rid, plan_text in rows:
        plan = json.loads(plan_text)
        if kind == "shopify.orders":
            _apply_order(conn, changes, SHOP_BY_DOMAIN[shop], plan, old, new, is_new=False)
        else:
            _apply_conversation(conn, changes, shop, plan, old, new)


def _order_topics(plan: dict, at: int) -> list[str]:
    """The topics Shopify sends for the order's change at ``at`` (one merchant action)."""
    topics = []
    if plan["cancel"] == at:
        topics.append("orders/cancelled")
    if plan.get("edit") and plan["edit"][0] == at:
        topics.append("orders/edited")
    if any(refund[1] == at for refund in plan["refunds"]):
        topics.append("refunds/create")
    ful = plan["ful"]
    if any(f[1] == at for f in ful):
        topics.append("fulfillments/create")
        if max(f[1] for f in ful) == at:
            topics.append("orders/fulfilled")
    if any(f[2] == at or f[3] == at for f in ful):
        topics.append("fulfillments/update")
    topics.append("orders/updated")
    return topics


def _apply_order(
    conn: sqlite3.Connection,
    changes: Changes,
    shop: ShopDef,
    plan: dict,
    old: int,
    new: int,
    is_new: bool,
) -> None:
    domain, rid = shop.domain, plan["id"]
    if is_new:
        _, payload = render_order(plan, plan["created"], shop.currency)
        changes.add(plan["created"], "shopify", "orders", domain, rid, "orders/create", payload)
        if payload["displayFinancialStatus"] == "PAID":  # paid at checkout
            changes.add(plan["created"], "shopify", "orders", domain, rid, "orders/paid", payload)
    for at in sorted({t for t in order_events(plan) if old < t <= new}):
        _, payload = render_order(plan, at, shop.currency)
        for topic in _order_topics(plan, at):
            changes.add(at, "shopify", "orders", domain, rid, topic, payload)
    updated, payload = render_order(plan, new, shop.currency)
    _upsert(conn, "shopify.orders", domain, rid, updated, payload)
    _park(conn, "shopify.orders", domain, rid, next_due(plan, new), plan)


def _apply_conversation(
    conn: sqlite3.Connection, changes: Changes, domain: str, plan: dict, old: int, new: int
) -> None:
    cid = str(plan["id"])
    before = render_conversation(plan, old)
    previous = before[1] if before else None
    for at in sorted({t for t in conversation_events(plan) if old < t <= new}):
        rendered = render_conversation(plan, at)
        if rendered is None:
            continue
        _, payload, messages = rendered
        for msg_at, message in messages:
            if msg_at == at:
                changes.add(at, "chatwoot", "messages", domain, str(message["id"]),
                            "message_created", message)  # fmt: skip
        if previous is None:
            topic = "conversation_created"
        elif payload["status"] != previous["status"]:
            topic = "conversation_status_changed"
        elif payload != previous:
            topic = "conversation_updated"
        else:
            continue
        changes.add(at, "chatwoot", "conversations", domain, cid, topic, payload)
        previous = payload
    rendered = render_conversation(plan, new)
    if rendered is not None:
        updated, payload, messages = rendered
        _upsert(conn, "chatwoot.conversations", domain, cid, updated, payload)
        for msg_at, message in messages:
            if msg_at > old:
                _upsert(conn, "chatwoot.messages", domain, str(message["id"]), msg_at, message, cid)
        _touch_contact(conn, changes, domain, plan, payload["last_activity_at"])
    _park(conn, "chatwoot.conversations", domain, cid, conversation_due(plan, new), plan)


def _touch_contact(
    conn: sqlite3.Connection, changes: Changes, domain: str, plan: dict, last_activity: int
) -> None:
    contact = plan["contact"]
    rid = str(contact["id"])
    row = conn.execute(
        "SELECT payload FROM records WHERE kind = 'chatwoot.contacts' AND shop = ? AND id = ?",
        (domain, rid),
    ).fetchone()
    if row is None:
        payload = contact_payload({**contact, "created_at": plan["created"]}, last_activity)
        topic = "contact_created"
    else:
        payload = json.loads(row[0])
        if payload["last_activity_at"] is not None and payload["last_activity_at"] >= last_activity:
            return
        payload["last_activity_at"] = last_activity
        topic = "contact_updated"
    _upsert(conn, "chatwoot.contacts", domain, rid, last_activity, payload)
    changes.add(last_activity, "chatwoot", "contacts", domain, rid, topic, payload)


# -- state loaded back from the store ---------------------------------------------------------
def _payloads(conn: sqlite3.Connection, kind: str, shop: str) -> list[dict]:
    rows = conn.execute(
        "SELECT payload FROM records WHERE kind = ? AND shop = ? ORDER BY seq, id", (kind, shop)
    )
    return [json.loads(text) for (text,) in rows]


def _load_catalog(
    conn: sqlite3.Connection, shop: ShopDef, master: list, seed: int, start_day: date
) -> Catalog:
    catalog = shop_catalog(shop, master, seed, local_midnight(start_day, shop.timezone))
    by_gid = {p.gid: p for p in catalog.products}
    for payload in _payloads(conn, "shopify.products", shop.domain):
        product = by_gid.get(payload["id"])
        if product is None:
            continue
        product.status = payload["status"]
        product.updated = int(datetime.fromisoformat(payload["updatedAt"]).timestamp())
        prices = {v["id"]: cents(v["price"]) for v in payload["variants"]}
        for variant in product.variants:
            variant.price = prices.get(variant.gid, variant.price)
    catalog.index()
    return catalog


def _item_of(catalog: Catalog, variant_gid: str) -> str | None:
    index = getattr(catalog, "_items", None)
    if index is None:
        index = {v.gid: v.item_gid for v in catalog.variants}
        catalog._items = index  # type: ignore[attr-defined]
    return index.get(variant_gid)


def _online_locations(conn: sqlite3.Connection, shop: ShopDef) -> list[str]:
    return [
        p["id"]
        for p in _payloads(conn, "shopify.locations", shop.domain)
        if p["fulfillsOnlineOrders"]
    ]


def _load_customers(
    conn: sqlite3.Connection, shop: ShopDef, next_seq: int
) -> tuple[CustomerPool, dict[int, dict]]:
    personas = dict(
        (
            (gid, (persona, active))
            for gid, persona, active in conn.execute(
                "SELECT id, persona, active FROM personas WHERE shop = ?", (shop.domain,)
            )
        )
    )
    pool = CustomerPool(shop, next_seq)
    for payload in _payloads(conn, "shopify.customers", shop.domain):
        persona, active = personas[payload["id"]]
        customer = Customer(
            seq_of(payload["id"]) - shop.id_base, persona, _ts(payload["createdAt"])
        )
        customer.orders = int(payload["numberOfOrders"])
        customer.spent = cents(payload["amountSpent"]["amount"])
        customer.last = _ts(payload["updatedAt"])
        customer.first = payload["firstName"]
        customer.last_name = payload["lastName"]
        address = payload["defaultAddress"] or {}
        customer.province = address.get("provinceCode") or shop.provinces[0]
        customer.city = address.get("city") or ""
        customer.zip = address.get("zip") or ""
        phone = payload["defaultPhoneNumber"]
        customer.phone = phone["phoneNumber"] if phone else None
        customer.state = payload["state"]
        customer.verified = payload["verifiedEmail"]
        customer.active = bool(active)
        pool.add(customer)
    contacts: dict[int, dict] = {}
    for payload in _payloads(conn, "chatwoot.contacts", shop.domain):
        numeric = payload["custom_attributes"].get("shopify_customer_id")
        if numeric:
            contacts[int(numeric) - shop.id_base] = {
                key: payload[key]
                for key in (
                    "id",
                    "name",
                    "email",
                    "phone_number",
                    "identifier",
                    "created_at",
                    "custom_attributes",
                )
            }
    return pool, contacts


def _ts(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


# -- new orders, inventory, prices, app ------------------------------------------------------
def _new_order_times(
    rng: random.Random,
    shop: ShopDef,
    per_weight: float,
    start_day: date,
    old: int,
    new: int,
    days: int,
) -> list[int]:
    """Order times in (old, new] continuing the generated demand curve (at least one a day)."""
    times: list[int] = []
    tz = zone(shop.timezone)
    for hour_start in range(old, new, HOUR):
        local = datetime.fromtimestamp(hour_start, tz)
        expected = (
            per_weight * day_weight(local.date(), start_day) * HOUR_WEIGHTS[local.hour] / HOUR_TOTAL
        )
        count = int(expected) + (rng.random() < expected - int(expected))
        times.extend(hour_start + 1 + below(rng, HOUR - 1) for _ in range(count))
    while len(times) < days:
        times.append(old + 1 + below(rng, new - old - 1))
    return sorted(times)


def _move_inventory(
    conn: sqlite3.Connection,
    changes: Changes,
    rng: random.Random,
    shop: ShopDef,
    primary: str | None,
    sold: list[tuple[int, str, int]],
    old: int,
    new: int,
) -> None:
    levels = _payloads(conn, "shopify.inventory_levels", shop.domain)
    by_item: dict[str, dict] = {}
    for level in levels:
        if level["location"]["id"] == primary:
            by_item[level["item"]["id"]] = level
    touched: dict[str, tuple[dict, int]] = {}

    def qty(level: dict) -> dict[str, int]:
        return {q["name"]: q["quantity"] for q in level["quantities"]}

    def update(level: dict, values: dict[str, int], at: int) -> None:
        fresh = level_payload(
            level["id"],
            at,
            level["location"]["id"],
            level["item"]["id"],
            level["item"]["sku"],
            quantities(values["available"], values["committed"], values["incoming"]),
        )
        level.clear()
        level.update(fresh)
        touched[level["id"]] = (level, at)
        changes.add(
            at,
            "shopify",
            "inventory_levels",
            shop.domain,
            level["id"],
            "inventory_levels/update",
            dict(fresh),
        )

    def later(level: dict, at: int) -> int:
        """A moment after the level's last change (changes of one level stay in order)."""
        return min(new, max(at, _ts(level["updatedAt"]) + 60))

    for at, item, units in sorted(sold):
        level = by_item.get(item)
        if level is None:
            continue
        values = qty(level)
        values["available"] = max(0, values["available"] - units)
        update(level, values, at)
    for level in by_item.values():  # restocks arrive; empty shelves get reordered
        values = qty(level)
        if values["incoming"] > 0 and rng.random() < 0.25 * (new - old) / DAY:
            values["available"] += values["incoming"]
            values["incoming"] = 0
            update(level, values, later(level, old + 1 + below(rng, new - old - 1)))
        elif values["available"] <= 2 and values["incoming"] == 0 and rng.random() < 0.15:
            values["incoming"] = randint(rng, 10, 60)
            update(level, values, later(level, old + 1 + below(rng, new - old - 1)))
    for rid in sorted(touched):
        level, at = touched[rid]
        _upsert(
            conn,
            "shopify.inventory_levels",
            shop.domain,
            rid,
            _ts(level["updatedAt"]),
            level,
            level["item"]["id"],
        )


def _change_prices(
    conn: sqlite3.Connection,
    changes: Changes,
    rng: random.Random,
    shop: ShopDef,
    catalog: Catalog,
    old: int,
    new: int,
    days: int,
) -> None:
    active = [p for p in catalog.products if p.status == "ACTIVE"]
    for _ in range(days):
        if not active or rng.random() > 0.6:
            continue
        product = active[below(rng, len(active))]
        factor = rng.choice((0.9, 0.95, 1.05, 1.1))
        for variant in product.variants:
            variant.price = max(99, int(variant.price * factor) // 100 * 100 + 95)
        product.updated = old + 1 + below(rng, new - old - 1)
        updated, payload = product_payload(product, shop.currency)
        _upsert(conn, "shopify.products", shop.domain, product.gid, updated, payload)
        changes.add(
            updated, "shopify", "products", shop.domain, product.gid, "products/update", payload
        )


def _advance_app(conn: sqlite3.Connection, meta: dict, shop: ShopDef, seed: int, new: int) -> None:
    key = f"app_next_day:{shop.domain}"
    day = date.fromisoformat(meta[key])
    row = conn.execute(
        "SELECT payload FROM records WHERE kind = 'app.shops' AND shop = ? AND id = ?",
        (shop.domain, shop.domain),
    ).fetchone()
    activated_at = json.loads(row[0])["activated_at"]
    log = AppLog(shop, seed, local_date(_ts(activated_at), shop.timezone))
    today = local_date(new, shop.timezone)
    decision_seq = int(_meta(conn, "decision_seq"))
    entry_seq = int(_meta(conn, "entry_seq"))
    while day < today:
        decisions, entries = log.day(day, decision_seq, entry_seq)
        decision_seq += len(decisions)
        entry_seq += len(entries)
        for rid, updated, payload in decisions:
            _upsert(conn, "app.decision_log", shop.domain, rid, updated, payload)
        for rid, updated, payload in entries:
            _upsert(conn, "app.ceo_time_entries", shop.domain, rid, updated, payload)
        day += timedelta(days=1)
    _set_meta(conn, key, today.isoformat())
    _set_meta(conn, "decision_seq", str(decision_seq))
    _set_meta(conn, "entry_seq", str(entry_seq))


def _meta(conn: sqlite3.Connection, key: str) -> str:
    return conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]
