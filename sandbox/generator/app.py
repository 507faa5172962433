"""The dashboard app's own tables: shop installs, the decision log, CEO time entries."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sandbox.generator.clock import DAY, iso, local_midnight
from sandbox.generator.rand import below, randint
from sandbox.generator.shops import ShopDef

PLATFORM_INSTALLS = (  # other shops on the platform, without order data in the sandbox
    ("chrome-and-steel.sandbox.test", True, False),
    ("desert-drag-supply.sandbox.test", True, False),
    ("lowrider-lane.sandbox.test", False, False),
    ("gearhead-garage.sandbox.test", True, True),
    ("rust-belt-restos.sandbox.test", False, False),
    ("quarter-mile-parts.sandbox.test", True, False),
    ("flathead-fever.sandbox.test", False, True),
    ("pro-street-depot.sandbox.test", True, False),
)
PLANS = ("basic", "growth", "pro")
ACTORS = ("ceo", "ops_manager", "inventory_lead", "cx_lead", "automation")
SCOPES = ("inventory", "pricing", "fulfillment", "cx", "marketing")
RECOMMENDATIONS = {
    "inventory": (
        "Reorder {n} units of a fast mover before stock-out",
        "Mark down {n} overstocked SKUs",
        "Transfer stock to the second warehouse",
    ),
    "pricing": ("Raise price {n}% on a best seller", "Match competitor price on carburetors"),
    "fulfillment": ("Switch carrier for {n} delayed orders", "Expedite {n} late orders"),
    "cx": ("Offer a {n}% coupon to an escalated customer", "Add weekend chat coverage"),
    "marketing": ("Send a racing-season email to {n} customers", "Retarget lapsed collectors"),
}


def app_shop_payload(
    domain: str, installed: int, activated: int | None, uninstalled: int | None, plan: str
) -> dict:
    updated = max(t for t in (installed, activated, uninstalled) if t is not None)
    return {
        "shop_domain": domain,
        "installed_at": iso(installed),
        "activated_at": iso(activated) if activated else None,
        "uninstalled_at": iso(uninstalled) if uninstalled else None,
        "plan": plan,
        "updated_at": iso(updated),
    }


def platform_shops(seed: int, start: int, now: int) -> list[tuple[str, int, dict]]:
    """(domain, updated_at, payload) of the platform installs without data."""
    rng = random.Random(f"{seed}:app:installs")
    rows = []
    for domain, activated, uninstalled in PLATFORM_INSTALLS:
        installed = start + randint(rng, 0, max(1, (now - start) // DAY - 10)) * DAY
        activated_at = installed + randint(rng, 1, 9) * DAY if activated else None
        if activated_at and activated_at > now:
            activated_at = None
        gone = installed + randint(rng, 10, 40) * DAY if uninstalled else None
        if gone and gone > now:
            gone = None
        payload = app_shop_payload(domain, installed, activated_at, gone, PLANS[below(rng, 3)])
        rows.append((domain, max(installed, activated_at or 0, gone or 0), payload))
    return rows


class AppLog:
    """Decision log and CEO time entries for one shop, day by day."""

    def __init__(self, shop: ShopDef, seed: int, activated: date) -> None:
        self.shop = shop
        self.seed = seed
        self.activated = activated

    def day(self, day: date, decision_seq: int, entry_seq: int) -> tuple[list, list]:
        """(decisions, time entries) of one local day: lists of (id, updated_at, payload)."""
        if day < self.activated:
            return [], []
        rng = random.Random(f"{self.seed}:app:{self.shop.domain}:{day.isoformat()}")
        midnight = local_midnight(day, self.shop.timezone)
        decisions = []
        scale = {0: 4, 1: 2, 2: 1}[self.shop.index]
        for _ in range(randint(rng, 0, scale + 1)):
            decision_seq += 1
            scope = SCOPES[below(rng, len(SCOPES))]
            templates = RECOMMENDATIONS[scope]
            text = templates[below(rng, len(templates))].format(n=randint(rng, 3, 40))
            created = midnight + randint(rng, 8 * 3600, 20 * 3600)
            payload = {
                "id": decision_seq,
                "shop_domain": self.shop.domain,
                "actor": ACTORS[below(rng, len(ACTORS))],
                "scope": scope,
                "recommendation": text,
                "decision": "approved" if rng.random() < 0.72 else "rejected",
                "created_at": iso(created),
            }
            decisions.append((str(decision_seq), created, payload))
        entries = []
        if rng.random() < 0.85:  # the CEO skips some days
            entry_seq += 1
            weeks = (day - self.activated).days / 7
            saving = min(0.75, 0.05 + 0.02 * weeks)  # automation grows week by week
            base = {"order": 95, "inventory": 60, "support": 80, "reporting": 70, "entry": 45}
            minutes = {
                k: max(0, int(v * (1 - saving) * rng.uniform(0.8, 1.2))) for k, v in base.items()
            }
            updated = midnight + 18 * 3600 + randint(rng, 0, 3 * 3600)
            payload = {
                "id": entry_seq,
                "shop_domain": self.shop.domain,
                "entry_date": day.isoformat(),
                "minutes_order_processing": minutes["order"],
                "minutes_inventory_checks": minutes["inventory"],
                "minutes_customer_support": minutes["support"],
                "minutes_manual_reporting": minutes["reporting"],
                "minutes_data_entry": minutes["entry"],
                "automation_actions": int(
                    40 * saving * rng.uniform(0.7, 1.3) * (3 - self.shop.index)
                ),
                "manual_actions_avoided": int(
                    25 * saving * rng.uniform(0.7, 1.3) * (3 - self.shop.index)
                ),
                "updated_at": iso(updated),
            }
            entries.append((str(entry_seq), updated, payload))
        return decisions, entries


def next_day(day: date) -> date:
    return day + timedelta(days=1)
