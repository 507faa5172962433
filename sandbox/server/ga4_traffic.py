"""The sessions Google Analytics would have recorded for a sandbox shop, derived from its orders.

One cell per local day and hour (shop time zone), session default channel group, device category
and landing page, with GA4's metrics (sessions, engagedSessions, totalUsers, newUsers, keyEvents,
transactions, purchaseRevenue). Consistent with the generated orders:

* every non-test order is a purchase GA saw, unless the buyer declined analytics consent
  (``TRACKED_SHARE`` of orders are tracked, by a hash of the order id); cancelled orders count,
  as GA records the purchase at checkout; revenue is the order's total at checkout;
* a day's sessions follow from its tracked orders and a conversion rate between 1.5% and 3%;
* landing pages are real product handles of the shop (``/products/{handle}``), the home page
  or the catalog; the organic channel only reaches the products search engines index
  (``INDEXED_SHARE`` of them), so the rest are content gaps an SEO pulse can find.

Deterministic: the same store and clock give the same cells (``rows`` is the test's truth).
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from itertools import accumulate
from zoneinfo import ZoneInfo

from sandbox.generator.money import cents
from sandbox.server.data import DataAccess

TRACKED_SHARE = 0.92
INDEXED_SHARE = 0.6
BASE_SESSIONS = 12  # sessions a day even without orders (whole day)
CHANNELS = (
    ("Organic Search", 0.36),
    ("Direct", 0.22),
    ("Paid Search", 0.14),
    ("Email", 0.09),
    ("Organic Social", 0.07),
    ("Referral", 0.06),
    ("Paid Social", 0.04),
    ("Unassigned", 0.02),
)
DEVICES = (("mobile", 0.56), ("desktop", 0.39), ("tablet", 0.05))
HOME, CATALOG, NOT_SET = "/", "/collections/all", "(not set)"
PAGE_KINDS = ((HOME, 0.30), (CATALOG, 0.15), (NOT_SET, 0.03), ("product", 0.52))
POPULAR_PAGES = 20  # product pages that browsing sessions land on
ENGAGED_SHARE = 0.55
SIGNUP_SHARE = 0.01  # newsletter sign-ups: the other key event
Cell = tuple[str, str, str, str, str]  # (YYYYMMDD, HH, channel, device, landing page)


def _draw(*parts: object) -> float:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _picker(weighted: tuple[tuple[str, float], ...]):
    names = [n for n, _ in weighted]
    cum = list(accumulate(w for _, w in weighted))
    return lambda rng: rng.choices(names, cum_weights=cum)[0]


pick_channel = _picker(CHANNELS)
pick_device = _picker(DEVICES)
pick_page_kind = _picker(PAGE_KINDS)


@dataclass
class Metrics:
    sessions: int = 0
    engaged: int = 0
    signups: int = 0
    transactions: int = 0
    revenue_cents: int = 0

    def values(self) -> dict[str, str]:
        users = self.sessions - self.sessions // 7
        revenue = f"{self.revenue_cents // 100}.{self.revenue_cents % 100:02d}"
        return {
            "sessions": str(self.sessions),
            "engagedSessions": str(self.engaged),
            "totalUsers": str(users),
            "newUsers": str(users - users // 3),
            "keyEvents": str(self.transactions + self.signups),
            "transactions": str(self.transactions),
            "purchaseRevenue": revenue.rstrip("0").rstrip(".") if "." in revenue else revenue,
        }


class ShopTraffic:
    """A shop's cells, built from its orders and products (once per store version)."""

    def __init__(self, data: DataAccess, shop: dict) -> None:
        self.domain = shop["domain"]
        self.tz = ZoneInfo(shop["timezone"])
        self.now = data.now
        handles: dict[str, str] = {}
        for rec in data.scan("shopify", "products", self.domain):
            product = rec.payload
            if product.get("status") == "ACTIVE" and product.get("handle"):
                handles[product["id"]] = product["handle"]
        self.handles = handles
        # popularity: a fixed order per shop; browsing lands on the most popular pages
        ranked = sorted(handles.values(), key=lambda h: _draw(self.domain, "rank", h))
        self.pages = [f"/products/{h}" for h in ranked]
        self.indexed = [p for p in self.pages if _draw(self.domain, "indexed", p) < INDEXED_SHARE]
        self.orders: dict[date, list[tuple[str, int, int, str | None]]] = defaultdict(list)
        for rec in data.scan("shopify", "orders", self.domain):
            order = rec.payload
            if order.get("test") or _draw("consent", order["id"]) >= TRACKED_SHARE:
                continue
            created = datetime.fromisoformat(order["createdAt"]).astimezone(self.tz)
            if created > self.now:
                continue
            lines = order.get("lineItems") or []
            product = (lines[0].get("product") or {}).get("id") if lines else None
            total = cents(order["totalPriceSet"]["shopMoney"]["amount"])
            self.orders[created.date()].append(
                (order["id"], created.hour, total, handles.get(product))
            )
        self._days: dict[date, dict[Cell, Metrics]] = {}

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    def first_day(self) -> date:
        return min(self.orders, default=self.today)

    def day(self, day: date) -> dict[Cell, Metrics]:
        if day not in self._days:
            self._days[day] = self._build(day)
        return self._days[day]

    def _page(self, rng: random.Random, channel: str) -> str:
        kind = pick_page_kind(rng)
        if kind != "product":
            return kind
        pool = self.indexed if channel == "Organic Search" else self.pages
        if not pool:
            return HOME
        # a few products draw most visits (buyers land on any product: see _build)
        return pool[int(min(len(pool), POPULAR_PAGES) * rng.random() ** 1.5)]

    def _build(self, day: date) -> dict[Cell, Metrics]:
        if day > self.today or day < self.first_day():
            return {}
        key = day.strftime("%Y%m%d")
        cells: dict[Cell, Metrics] = {}
        orders = self.orders.get(day, [])
        for order_id, hour, total, handle in orders:
            rng = random.Random(f"{self.domain}:{order_id}")
            channel, device = pick_channel(rng), pick_device(rng)
            page = f"/products/{handle}" if handle and rng.random() < 0.6 else HOME
            if channel == "Organic Search" and page not in self.indexed:
                page = HOME
            m = cells.setdefault((key, f"{hour:02d}", channel, device, page), Metrics())
            m.sessions += 1
            m.engaged += 1
            m.transactions += 1
            m.revenue_cents += total
        rate = 0.015 + 0.015 * _draw(self.domain, "rate", key)
        elapsed = 1.0
        if day == self.today:
            local = self.now.astimezone(self.tz)
            elapsed = (local.hour * 3600 + local.minute * 60 + local.second) / 86400
        hours = max(1, int(24 * elapsed + 0.999))  # today: up to the current hour
        others = round(len(orders) / rate) - len(orders) + round(BASE_SESSIONS * elapsed)
        rng = random.Random(f"{self.domain}:{key}:sessions")
        for _ in range(max(0, others)):
            channel = pick_channel(rng)
            device = pick_device(rng)
            hour = f"{int(rng.random() * hours):02d}"
            page = self._page(rng, channel)
            m = cells.setdefault((key, hour, channel, device, page), Metrics())
            m.sessions += 1
            m.engaged += rng.random() < ENGAGED_SHARE
            m.signups += rng.random() < SIGNUP_SHARE
        return cells


def rows(traffic: ShopTraffic, start: date, end: date) -> list[tuple[Cell, dict[str, str]]]:
    """Every cell from ``start`` to ``end`` (local days, inclusive) with its metric values."""
    out = []
    for ordinal in range(start.toordinal(), end.toordinal() + 1):
        cells = traffic.day(date.fromordinal(ordinal))
        out.extend((cell, m.values()) for cell, m in cells.items())
    return out


def channel_mix(traffic: ShopTraffic, start: date, end: date) -> Counter:
    """Sessions by channel over the days (tests compare it with the configured mix)."""
    mix: Counter = Counter()
    for (_, _, channel, _, _), values in rows(traffic, start, end):
        mix[channel] += int(values["sessions"])
    return mix
