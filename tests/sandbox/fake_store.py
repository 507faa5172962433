"""A tiny in-memory stand-in for ``sandbox.store.SandboxStore`` (same methods, same semantics).

Server tests use it so they run in milliseconds and do not depend on the generator.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.records import Change

SHOPS = (
    ("hot-rod-an.sandbox.test", "Hot Rod AN", "America/Los_Angeles", "USD", 1),
    ("speedway-classics.sandbox.test", "Speedway Classics", "America/Chicago", "USD", 2),
)


@dataclass(frozen=True)
class Record:
    id: str
    updated_at: datetime
    payload: dict
    parent_id: str | None = None


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(amount: str, currency: str = "USD") -> dict:
    return {"shopMoney": {"amount": amount, "currencyCode": currency}}


class FakeStore:
    """Records keyed by (source, entity, shop) -> {id: Record}."""

    def __init__(self, orders: int = 30, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 6, 1, 12, tzinfo=UTC)
        self.data: dict[tuple[str, str, str], dict[str, Record]] = {}
        self._seq = 0
        base = self.now - timedelta(days=60)
        for s, (domain, name, tz, cur, acct) in enumerate(SHOPS):
            shop_id = f"gid://shopify/Shop/{s + 1}"
            self.put(
                "shopify",
                "shops",
                domain,
                shop_id,
                base,
                {
                    "id": shop_id,
                    "name": name,
                    "myshopifyDomain": domain,
                    "ianaTimezone": tz,
                    "currencyCode": cur,
                    "createdAt": iso(base),
                    "updatedAt": iso(base),
                },
            )
            loc = f"gid://shopify/Location/{s + 1}"
            self.put(
                "shopify",
                "locations",
                domain,
                loc,
                base,
                {
                    "id": loc,
                    "name": "Main",
                    "isActive": True,
                    "fulfillsOnlineOrders": True,
                    "createdAt": iso(base),
                    "updatedAt": iso(base),
                    "address": {"city": "X", "provinceCode": "CA", "countryCode": "US"},
                },
            )
            for p in range(3):
                pid = f"gid://shopify/Product/{s * 100 + p + 1}"
                ts = base + timedelta(hours=p)
                variants = [
                    {
                        "id": f"gid://shopify/ProductVariant/{s * 1000 + p * 10 + v}",
                        "sku": f"SKU-{s}-{p}-{v}",
                        "title": f"V{v}",
                        "price": "19.99",
                        "compareAtPrice": None,
                        "createdAt": iso(ts),
                        "updatedAt": iso(ts),
                        "inventoryItem": {
                            "id": f"gid://shopify/InventoryItem/{s * 1000 + p * 10 + v}",
                            "tracked": True,
                            "unitCost": {"amount": "7.5", "currencyCode": cur},
                        },
                    }
                    for v in range(2)
                ]
                self.put(
                    "shopify",
                    "products",
                    domain,
                    pid,
                    ts,
                    {
                        "id": pid,
                        "title": f"Carb {p}",
                        "handle": f"carb-{p}",
                        "productType": "Carburetors",
                        "vendor": "Holley",
                        "tags": ["performance", "fits:1932 Ford Model B"],
                        "status": "ACTIVE",
                        "createdAt": iso(ts),
                        "updatedAt": iso(ts),
                        "fitment": {
                            "value": '["1955-1957 Chevrolet Bel Air"]',
                            "type": "list.single_line_text_field",
                        }
                        if p == 0
                        else None,
                        "variants": variants,
                    },
                )
                for v in variants:
                    lid = f"gid://shopify/InventoryLevel/{v['inventoryItem']['id'][-4:]}?loc=1"
                    self.put(
                        "shopify",
                        "inventory_levels",
                        domain,
                        lid,
                        ts,
                        {
                            "id": lid,
                            "updatedAt": iso(ts),
                            "location": {"id": loc},
                            "quantities": [
                                {"name": n, "quantity": q}
                                for n, q in (
                                    ("available", 5),
                                    ("committed", 1),
                                    ("incoming", 0),
                                    ("on_hand", 6),
                                    ("reserved", 0),
                                )
                            ],
                            "item": {"id": v["inventoryItem"]["id"], "sku": v["sku"]},
                        },
                    )
            n_orders = orders if s == 0 else max(1, orders // 3)
            for o in range(n_orders):
                oid = f"gid://shopify/Order/{s * 100000 + o + 1}"
                ts = base + timedelta(hours=o * 7 % 1000, minutes=o)
                same_ts = o in (3, 4)  # two orders share an updatedAt: cursor tie-break
                if same_ts:
                    ts = base + timedelta(hours=3)
                cid = f"gid://shopify/Customer/{s * 1000 + o % 5 + 1}"
                self.put("shopify", "orders", domain, oid, ts, self._order(oid, o, ts, cur, cid))
            for c in range(5):
                cid = f"gid://shopify/Customer/{s * 1000 + c + 1}"
                ts = base + timedelta(days=c)
                self.put(
                    "shopify",
                    "customers",
                    domain,
                    cid,
                    ts,
                    {
                        "id": cid,
                        "firstName": "Ann",
                        "lastName": f"Lee{c}",
                        "displayName": f"Ann Lee{c}",
                        "createdAt": iso(ts),
                        "updatedAt": iso(ts),
                        "tags": [],
                        "state": "ENABLED",
                        "verifiedEmail": True,
                        "numberOfOrders": "2",
                        "amountSpent": {"amount": "10.00", "currencyCode": cur},
                        "defaultEmailAddress": {"emailAddress": f"ann{c}@example.com"},
                        "defaultPhoneNumber": None,
                        "defaultAddress": {
                            "city": "LA",
                            "provinceCode": "CA",
                            "countryCode": "US",
                            "zip": "90001",
                        },
                    },
                )
            self._chatwoot(domain, acct, base, s)
            for i in range(3):
                ts = base + timedelta(days=i)
                self.put(
                    "app",
                    "decision_log",
                    domain,
                    f"{s}-{i}",
                    ts,
                    {
                        "id": f"{s}-{i}",
                        "shop_domain": domain,
                        "actor": "ceo",
                        "scope": "pricing",
                        "recommendation": "raise",
                        "decision": "approved",
                        "created_at": iso(ts),
                    },
                )
            self.put(
                "app",
                "shops",
                domain,
                domain,
                base,
                {
                    "shop_domain": domain,
                    "installed_at": iso(base),
                    "activated_at": None,
                    "uninstalled_at": None,
                    "plan": "pro",
                    "updated_at": iso(base),
                },
            )

    def _order(self, oid: str, o: int, ts: datetime, cur: str, cid: str) -> dict:
        return {
            "id": oid,
            "name": f"#{1001 + o}",
            "createdAt": iso(ts),
            "updatedAt": iso(ts),
            "processedAt": iso(ts),
            "cancelledAt": None,
            "closedAt": None,
            "test": False,
            "displayFinancialStatus": "PAID",
            "displayFulfillmentStatus": "FULFILLED",
            "currencyCode": cur,
            "tags": [],
            "discountCodes": [],
            "sourceName": "web",
            "totalPriceSet": money("39.98", cur),
            "subtotalPriceSet": money("39.98", cur),
            "totalDiscountsSet": money("0.00", cur),
            "totalRefundedSet": money("0.00", cur),
            "customer": {"id": cid} if o % 4 else None,
            "shippingAddress": {"provinceCode": "CA", "countryCode": "US"},
            "shippingLine": None,
            "refunds": [],
            "fulfillments": [
                {
                    "id": f"gid://shopify/Fulfillment/{o + 1}",
                    "status": "SUCCESS",
                    "displayStatus": "DELIVERED",
                    "createdAt": iso(ts),
                    "updatedAt": iso(ts),
                    "deliveredAt": None,
                    "inTransitAt": None,
                    "estimatedDeliveryAt": None,
                    "location": {"id": "gid://shopify/Location/1"},
                    "trackingInfo": [],
                }
            ],
            "lineItems": [
                {
                    "id": f"gid://shopify/LineItem/{oid.rsplit('/', 1)[1]}{k}",
                    "sku": f"SKU-0-{k}-0",
                    "title": "Carb",
                    "quantity": 1 + k,
                    "currentQuantity": 1 + k,
                    "vendor": "Holley",
                    "variant": {"id": f"gid://shopify/ProductVariant/{k * 10}"},
                    "product": {"id": f"gid://shopify/Product/{k + 1}"},
                    "originalUnitPriceSet": money("19.99", cur),
                    "discountedTotalSet": money("19.99", cur),
                }
                for k in range(1 + o % 3)
            ],
        }

    def _chatwoot(self, domain: str, acct: int, base: datetime, s: int) -> None:
        n_conv = 30 if s == 0 else 4
        for c in range(n_conv):
            cid = str(acct * 1000 + c + 1)
            created = base + timedelta(hours=c)
            last = created + timedelta(minutes=30 + (c * 37) % 200)
            msgs = []
            for m in range(23 if c == 0 else 3):
                mid = str(int(cid) * 100 + m)
                t = int((created + timedelta(minutes=m)).timestamp())
                msgs.append(
                    {
                        "id": int(mid),
                        "conversation_id": int(cid),
                        "account_id": acct,
                        "inbox_id": 1,
                        "content": f"hello {m}",
                        "message_type": m % 2,
                        "private": False,
                        "created_at": t,
                        "updated_at": t,
                        "sender_type": "Contact" if m % 2 == 0 else "User",
                        "sender_id": 1,
                    }
                )
                self.put(
                    "chatwoot",
                    "messages",
                    domain,
                    mid,
                    datetime.fromtimestamp(t, UTC),
                    msgs[-1],
                    parent_id=cid,
                )
            self.put(
                "chatwoot",
                "conversations",
                domain,
                cid,
                last,
                {
                    "id": int(cid),
                    "account_id": acct,
                    "inbox_id": 1,
                    "status": "open" if c % 3 else "resolved",
                    "priority": None,
                    "labels": [],
                    "created_at": int(created.timestamp()),
                    "updated_at": int(last.timestamp()),
                    "last_activity_at": int(last.timestamp()),
                    "timestamp": int(last.timestamp()),
                    "first_reply_created_at": None,
                    "waiting_since": None,
                    "unread_count": 0,
                    "custom_attributes": {},
                    "additional_attributes": {},
                    "meta": {
                        "sender": {
                            "id": 1,
                            "name": "Ann",
                            "email": "a@x.com",
                            "phone_number": None,
                        },
                        "assignee": {"id": 7, "name": "Op", "email": "op@x.com"} if c % 2 else None,
                    },
                },
            )
        self.put(
            "chatwoot",
            "agents",
            domain,
            "7",
            base,
            {
                "id": 7,
                "account_id": acct,
                "name": "Op",
                "email": "op@x.com",
                "role": "agent",
                "availability_status": "online",
            },
        )
        self.put(
            "chatwoot",
            "inboxes",
            domain,
            "1",
            base,
            {"id": 1, "name": "Web", "channel_type": "Channel::WebWidget"},
        )
        for k in range(20 if s == 0 else 2):
            ts = base + timedelta(hours=k)
            self.put(
                "chatwoot",
                "contacts",
                domain,
                str(k + 1),
                ts,
                {
                    "id": k + 1,
                    "name": f"C{k}",
                    "email": f"c{k}@x.com",
                    "phone_number": None,
                    "identifier": None,
                    "created_at": int(ts.timestamp()),
                    "last_activity_at": int(ts.timestamp()),
                    "custom_attributes": {},
                },
            )

    # --- the SandboxStore API -------------------------------------------------------------

    def put(
        self,
        source: str,
        entity: str,
        shop: str,
        id: str,
        ts: datetime,
        payload: dict,
        parent_id: str | None = None,
    ) -> None:
        self.data.setdefault((source, entity, shop), {})[id] = Record(id, ts, payload, parent_id)

    def shops(self) -> list[dict]:
        return [
            {
                "domain": d,
                "name": n,
                "timezone": tz,
                "currency": cur,
                "chatwoot_account_id": acct,
                "ga4_property_id": 412_345_670 + acct,
                "share": 0.5,
            }
            for d, n, tz, cur, acct in SHOPS
        ]

    def iter_records(
        self,
        source: str,
        entity: str,
        shop_domain: str,
        *,
        updated_since: datetime | None = None,
        updated_until: datetime | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
        parent_id: str | None = None,
        descending: bool = False,
    ) -> Iterator[Record]:
        shops = [shop_domain] if shop_domain else [d for d, *_ in SHOPS]
        rows = sorted(
            (r for shop in shops for r in self.data.get((source, entity, shop), {}).values()),
            key=lambda r: (r.updated_at, r.id),
            reverse=descending,
        )
        n = 0
        for r in rows:
            if updated_since is not None and r.updated_at < updated_since:
                continue
            if (
                updated_until is not None and r.updated_at > updated_until
            ):  # inclusive, as the store
                continue
            if parent_id is not None and r.parent_id != parent_id:
                continue
            if after is not None:
                key = (r.updated_at, r.id)
                if (key <= after) if not descending else (key >= after):
                    continue
            if limit is not None and n >= limit:
                return
            n += 1
            yield r

    def count(
        self,
        source: str,
        entity: str,
        shop_domain: str,
        updated_since: datetime | int | None = None,
        updated_until: datetime | int | None = None,
    ) -> int:
        since = _as_time(updated_since)
        until = _as_time(updated_until)
        records = self.iter_records(
            source, entity, shop_domain, updated_since=since, updated_until=until
        )
        return sum(1 for _ in records)

    def get(self, source: str, entity: str, shop_domain: str, id: str) -> dict | None:
        rec = self.data.get((source, entity, shop_domain), {}).get(id)
        return rec.payload if rec else None

    def delete(self, source: str, entity: str, shop: str, id: str) -> dict | None:  # noqa: A002
        rec = self.data.get((source, entity, shop), {}).pop(id, None)
        return rec.payload if rec else None

    def rename_shop(self, shop: str, name: str) -> dict | None:
        records = self.data.get(("shopify", "shops", shop)) or {}
        rec = next(iter(records.values()), None)
        if rec is None:
            return None
        payload = dict(rec.payload, name=name, updatedAt=iso(self.now))
        self.put("shopify", "shops", shop, rec.id, self.now, payload)
        return payload

    def set_sku(self, shop: str, variant_gid: str, sku: str) -> tuple[dict, str] | None:
        for rec in (self.data.get(("shopify", "products", shop)) or {}).values():
            variant = next((v for v in rec.payload["variants"] if v["id"] == variant_gid), None)
            if variant is None:
                continue
            variant["sku"] = sku
            variant["updatedAt"] = rec.payload["updatedAt"] = iso(self.now)
            self.put("shopify", "products", shop, rec.id, self.now, rec.payload)
            item = variant["inventoryItem"]["id"]
            for level in (self.data.get(("shopify", "inventory_levels", shop)) or {}).values():
                if level.payload["item"]["id"] == item:
                    level.payload["item"]["sku"] = sku
            return rec.payload, item
        return None

    def advance(self, days: int = 1) -> list[Change]:
        self.now = self.now + timedelta(days=days)
        changes = []
        domain = SHOPS[0][0]
        recs = self.data[("shopify", "orders", domain)]
        self._seq += 1
        oid = f"gid://shopify/Order/{900000 + self._seq}"
        payload = self._order(oid, self._seq, self.now, "USD", "gid://shopify/Customer/1")
        self.put("shopify", "orders", domain, oid, self.now, payload)
        changes.append(Change("shopify", "orders", domain, oid, "orders/create", payload))
        first = min(recs.values(), key=lambda r: (r.updated_at, r.id))
        updated = dict(first.payload, updatedAt=iso(self.now), displayFulfillmentStatus="FULFILLED")
        self.put("shopify", "orders", domain, first.id, self.now, updated)
        changes.append(Change("shopify", "orders", domain, first.id, "orders/updated", updated))
        conv = next(
            c
            for c in self.data[("chatwoot", "conversations", domain)].values()
            if c.payload["status"] == "open"
        )
        cpay = dict(conv.payload, status="resolved", updated_at=int(self.now.timestamp()))
        self.put("chatwoot", "conversations", domain, conv.id, self.now, cpay)
        changes.append(
            Change(
                "chatwoot", "conversations", domain, conv.id, "conversation_status_changed", cpay
            )
        )
        return changes

    def truth(self) -> dict[str, Any]:
        return {"as_of": iso(self.now), "counts": {"orders": len(self.data)}}


def _as_time(value: datetime | int | None) -> datetime | None:
    """Epoch seconds as a UTC time (the store's counts take either)."""
    if isinstance(value, int):
        return datetime.fromtimestamp(value, tz=UTC)
    return value
