"""Orders: a *plan* holds an order's whole life (fulfillments, refunds, cancellation, issue tags,
some of it possibly after the sandbox clock); ``render_order`` shows it as of a moment.

Plans are plain JSON-able dicts so that orders with events still to come can be parked in the
store's ``pending`` table and re-rendered when the clock advances.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sandbox.generator.catalog import Catalog
from sandbox.generator.clock import DAY, iso, iso_or_none
from sandbox.generator.customers import Customer
from sandbox.generator.money import money_set
from sandbox.generator.personas import COLLECTOR, FIRST_TIME, PERSONA_DEFS, PRO, RACING
from sandbox.generator.rand import Weighted, below, randint
from sandbox.generator.shipping import shipping_line, tracking_info
from sandbox.generator.shops import ShopDef

HOUR = 3600
ISSUE_TYPES = (
    "delayed_shipping",
    "missing_items",
    "damaged_goods",
    "wrong_address",
    "inventory_shortage",
)
SEVERITIES = ("low", "medium", "high", "critical")
SEVERITY_WEIGHTS = (0.3, 0.35, 0.25, 0.1)
TAX_BP = {
    "CA": 725,
    "TX": 625,
    "FL": 600,
    "AZ": 560,
    "OH": 575,
    "MI": 600,
    "NC": 475,
    "GA": 400,
    "PA": 600,
    "WA": 650,
    "TN": 700,
    "IN": 700,
    "OR": 0,
    "NV": 685,
    "ON": 1300,
    "QC": 1498,
    "BC": 1200,
    "AB": 500,
    "MB": 1200,
    "NS": 1500,
    "SK": 1100,
}
PROMO_CODES = (("RACE10", 10), ("SUMMER15", 15), ("SHOPDAY5", 5), ("GARAGE20", 20))
REFUND_NOTES = (
    "Customer return",
    "Did not fit vehicle",
    "Damaged in transit",
    "Missing items",
    "Ordered wrong size",
    None,
)
GUEST_TICKET_RATE = 0.05
SEVERITY_CHOICE = Weighted(SEVERITIES, SEVERITY_WEIGHTS)
CATEGORY_CHOICE = {
    name: Weighted(list(p.categories), list(p.categories.values()))
    for name, p in PERSONA_DEFS.items()
}
GUEST_REFUND_RATE = 0.05


@dataclass
class ShopState:
    """Per-shop generation state: the catalog, id counters and the fulfilling locations."""

    shop: ShopDef
    catalog: Catalog
    online_locations: list[str]
    order_seq: int = 0
    line_seq: int = 0
    fulfillment_seq: int = 0
    refund_seq: int = 0
    sold_recent: dict[str, int] = field(default_factory=dict)  # units in the last 30 days
    last_sale: dict[str, int] = field(default_factory=dict)

    def counters(self) -> dict[str, int]:
        return {
            "order_seq": self.order_seq,
            "line_seq": self.line_seq,
            "fulfillment_seq": self.fulfillment_seq,
            "refund_seq": self.refund_seq,
        }


def build_order(
    state: ShopState,
    rng: random.Random,
    created: int,
    customer: Customer | None,
    customer_gid: str | None,
    month: int,
) -> dict:
    shop = state.shop
    state.order_seq += 1
    seq = state.order_seq
    persona = customer.persona if customer else None
    definition = PERSONA_DEFS[persona] if persona else PERSONA_DEFS[FIRST_TIME]
    test = rng.random() < 0.004
    categories = CATEGORY_CHOICE[definition.name]

    n_lines = randint(rng, *definition.lines)
    if customer is None:
        n_lines = randint(rng, 1, 2)
    chosen: dict[str, list] = {}
    for _ in range(n_lines):
        focus = definition.focus if rng.random() < definition.focus_rate else None
        variant = state.catalog.pick(
            rng, categories.pick(rng), premium=persona == COLLECTOR, focus=focus
        )
        qty = randint(rng, *definition.units)
        if variant.price >= 30_000:  # nobody buys six cylinder heads
            qty = 1
        elif variant.price >= 10_000:
            qty = min(qty, 2)
        if variant.gid in chosen:
            chosen[variant.gid][1] += qty
        else:
            chosen[variant.gid] = [variant, qty]

    codes: list[str] = []
    pct = 0
    if persona == PRO:
        codes, pct = ["TRADE15"], 15
    elif persona == FIRST_TIME and customer is not None and customer.orders == 0:
        codes, pct = ["WELCOME10"], 10
    elif rng.random() < 0.12:
        code, pct = PROMO_CODES[below(rng, len(PROMO_CODES))]
        if code == "RACE10" and persona == RACING:
            pct = 10
        codes = [code]

    lines = []
    subtotal = discounts = 0
    for variant, qty in chosen.values():
        state.line_seq += 1
        gross = variant.price * qty
        disc = gross * pct // 100
        subtotal += gross - disc
        discounts += disc
        lines.append(
            [
                shop.gid("LineItem", state.line_seq),
                variant.sku,
                variant.product.title,
                qty,
                variant.product.vendor,
                variant.gid,
                variant.product.gid,
                variant.price,
                gross - disc,
            ]
        )
    if customer is not None:
        province = customer.province
    else:
        province = shop.provinces[below(rng, len(shop.provinces))]
    threshold = 9_900 if shop.currency == "USD" else 12_900
    shipping = 0 if subtotal >= threshold else (995 if shop.currency == "USD" else 1_395)
    tax = subtotal * TAX_BP.get(province, 0) // 10_000
    total = subtotal + shipping + tax
    tags: list[str] = []
    if persona == PRO:
        tags.append("wholesale")
    if test:
        tags.append("test")
    source = "web"
    roll = rng.random()
    if test:
        source = "shopify_draft_order"
    elif roll < 0.06:
        source = "pos"
    elif roll < 0.12 or persona == PRO:
        source = "shopify_draft_order" if rng.random() < 0.5 else "web"

    plan = {
        "id": shop.gid("Order", seq),
        "name": f"#{1000 + seq}",
        "created": created,
        "test": test,
        "customer": customer_gid,
        "persona": persona,
        "ship": [province, shop.country],
        "source": source,
        "codes": codes,
        "tags": tags,
        "lines": lines,
        "subtotal": subtotal,
        "discounts": discounts,
        "total": total,
        "cancel": None,
        "ful": [],
        "refunds": [],
        "issue": None,
    }
    if not test:
        _lifecycle(state, rng, plan, definition.refund_rate if customer else GUEST_REFUND_RATE)
    for line in lines:
        state.last_sale[line[5]] = created
    return plan


def _lifecycle(state: ShopState, rng: random.Random, plan: dict, refund_rate: float) -> None:
    created = plan["created"]
    if rng.random() < 0.025:
        plan["cancel"] = created + randint(rng, HOUR // 2, 30 * HOUR)
        return
    roll = rng.random()
    if roll < 0.004:  # never shipped: stuck on a stock shortage
        plan["issue"] = ["inventory_shortage", "high", created + 50 * HOUR]
        return
    issue = None
    if roll < 0.07:
        delay = randint(rng, 49 * HOUR, 150 * HOUR)
        if rng.random() < 0.5:
            issue = "delayed_shipping"
    elif roll < 0.12:
        issue = ISSUE_TYPES[below(rng, len(ISSUE_TYPES))]
        if issue in ("delayed_shipping", "inventory_shortage"):
            delay = randint(rng, 52 * HOUR, 220 * HOUR)
        else:
            delay = randint(rng, 3 * HOUR, 40 * HOUR)
    else:
        delay = randint(rng, 2 * HOUR, 44 * HOUR)
    locations = state.online_locations
    shipments = [created + delay]
    if len(plan["lines"]) > 1 and (issue == "inventory_shortage" or rng.random() < 0.06):
        shipments.append(shipments[0] + randint(rng, DAY, 4 * DAY))
    last_delivery = 0
    for k, shipped in enumerate(shipments):
        state.fulfillment_seq += 1
        in_transit = shipped + randint(rng, 4 * HOUR, 30 * HOUR)
        delivered = in_transit + randint(rng, DAY, 6 * DAY)
        final = "DELIVERED"
        if issue == "wrong_address" and k == 0:
            final, delivered = "ATTEMPTED_DELIVERY", None
        plan["ful"].append(
            [
                state.shop.gid("Fulfillment", state.fulfillment_seq),
                shipped,
                in_transit,
                delivered,
                in_transit + 4 * DAY,
                locations[0] if k == 0 or len(locations) == 1 else locations[1],
                final,
            ]
        )
        last_delivery = max(last_delivery, delivered or in_transit)
    if issue:
        severity = SEVERITY_CHOICE.pick(rng)
        noticed = (
            created + 48 * HOUR
            if issue in ("delayed_shipping", "inventory_shortage")
            else (last_delivery + randint(rng, 2 * HOUR, DAY))
        )
        plan["issue"] = [issue, severity, noticed]
    refund_chance = refund_rate + (0.6 if issue in ("missing_items", "damaged_goods") else 0)
    if rng.random() < refund_chance:
        state.refund_seq += 1
        at = last_delivery + randint(rng, 2 * DAY, 25 * DAY)
        if rng.random() < 0.2:
            amount = plan["total"]
            returned = [[i, line[3]] for i, line in enumerate(plan["lines"])]
        else:
            i = below(rng, len(plan["lines"]))
            line = plan["lines"][i]
            qty = randint(rng, 1, line[3])
            amount = line[8] * qty // line[3]
            returned = [[i, qty]]
        note = REFUND_NOTES[below(rng, len(REFUND_NOTES))]
        plan["refunds"].append(
            [state.shop.gid("Refund", state.refund_seq), at, note, amount, returned]
        )


def order_events(plan: dict) -> list[int]:
    """Every moment at which the order changes after creation."""
    times = []
    if plan["cancel"]:
        times.append(plan["cancel"])
    for ful in plan["ful"]:
        times.extend(t for t in ful[1:4] if t is not None)
    times.extend(r[1] for r in plan["refunds"])
    if plan["issue"]:
        times.append(plan["issue"][2])
    return times


def next_due(plan: dict, as_of: int) -> int | None:
    future = [t for t in order_events(plan) if t > as_of]
    return min(future) if future else None


def render_order(plan: dict, as_of: int, currency: str) -> tuple[int, dict]:
    """(updated_at, payload) of the order as of ``as_of``."""
    created = plan["created"]
    updated = created
    cancelled = plan["cancel"] if plan["cancel"] and plan["cancel"] <= as_of else None
    if cancelled:
        updated = cancelled
    fulfillments = []
    closed = None
    for gid, shipped, in_transit, delivered, estimated, location, final in plan["ful"]:
        if shipped > as_of:
            continue
        status = "FULFILLED"
        ful_updated = shipped
        transit_at = delivered_at = None
        if in_transit <= as_of:
            status, ful_updated, transit_at = "IN_TRANSIT", in_transit, in_transit
        if delivered is not None and delivered <= as_of:
            status, ful_updated, delivered_at = "DELIVERED", delivered, delivered
            closed = max(closed or 0, delivered)
        elif final == "ATTEMPTED_DELIVERY" and in_transit + 3 * DAY <= as_of:
            status, ful_updated = "ATTEMPTED_DELIVERY", in_transit + 3 * DAY
        updated = max(updated, ful_updated)
        fulfillments.append(
            {
                "id": gid,
                "status": "SUCCESS",
                "displayStatus": status,
                "createdAt": iso(shipped),
                "updatedAt": iso(ful_updated),
                "deliveredAt": iso_or_none(delivered_at),
                "inTransitAt": iso_or_none(transit_at),
                "estimatedDeliveryAt": iso(estimated),
                "location": {"id": location},
                "trackingInfo": tracking_info(gid),
            }
        )
    if closed is not None and len(fulfillments) < len(plan["ful"]):
        closed = None
    refunds = []
    refunded = 0
    returned = [0] * len(plan["lines"])
    for gid, at, note, amount, lines in plan["refunds"]:
        if at > as_of:
            continue
        refunded += amount
        updated = max(updated, at)
        for index, qty in lines:
            returned[index] += qty
        refunds.append(
            {
                "id": gid,
                "createdAt": iso(at),
                "note": note,
                "totalRefundedSet": money_set(amount, currency),
            }
        )
    tags = list(plan["tags"])
    issue = plan["issue"]
    if issue and issue[2] <= as_of:
        tags.append(f"issue:{issue[0]}")
        tags.append(f"severity:{issue[1]}")
        updated = max(updated, issue[2])
    total = plan["total"]
    if cancelled:
        financial = "VOIDED"
        closed = cancelled
    elif refunded >= total:
        financial = "REFUNDED"
    elif refunded:
        financial = "PARTIALLY_REFUNDED"
    else:
        financial = "PAID"
    if not fulfillments:
        fulfillment_status = "UNFULFILLED"
    elif len(fulfillments) < len(plan["ful"]):
        fulfillment_status = "PARTIALLY_FULFILLED"
    else:
        fulfillment_status = "FULFILLED"
    line_items = []
    for i, (gid, sku, title, qty, vendor, variant, product, unit, disc_total) in enumerate(
        plan["lines"]
    ):
        line_items.append(
            {
                "id": gid,
                "sku": sku,
                "title": title,
                "quantity": qty,
                "currentQuantity": 0 if cancelled else qty - returned[i],
                "vendor": vendor,
                "variant": {"id": variant},
                "product": {"id": product},
                "originalUnitPriceSet": money_set(unit, currency),
                "discountedTotalSet": money_set(disc_total, currency),
            }
        )
    customer = plan["customer"]
    return updated, {
        "id": plan["id"],
        "name": plan["name"],
        "createdAt": iso(created),
        "updatedAt": iso(updated),
        "processedAt": iso(created),
        "cancelledAt": iso_or_none(cancelled),
        "closedAt": iso_or_none(closed),
        "test": plan["test"],
        "displayFinancialStatus": financial,
        "displayFulfillmentStatus": fulfillment_status,
        "currencyCode": currency,
        "tags": tags,
        "discountCodes": list(plan["codes"]),
        "sourceName": plan["source"],
        "totalPriceSet": money_set(total, currency),
        "subtotalPriceSet": money_set(plan["subtotal"], currency),
        "totalDiscountsSet": money_set(plan["discounts"], currency),
        "totalRefundedSet": money_set(refunded, currency),
        "customer": {"id": customer} if customer else None,
        "shippingAddress": {"provinceCode": plan["ship"][0], "countryCode": plan["ship"][1]},
        "shippingLine": shipping_line(plan["id"]),
        "refunds": refunds,
        "fulfillments": fulfillments,
        "lineItems": line_items,
    }
