"""Inventory levels per variant and location, shaped by recent sales velocity.

Each variant gets a stock class (out of stock, low, normal, overstock) so that every alert state
exists; quantities follow its last-30-day sales. ``advance()`` then moves them with new sales and
restocks.
"""

from __future__ import annotations

import math
import random

from sandbox.generator.catalog import Catalog
from sandbox.generator.clock import DAY, iso
from sandbox.generator.rand import randint

QUANTITY_NAMES = ("available", "committed", "incoming", "on_hand", "reserved")
STOCK_CLASSES = ("out", "low", "normal", "overstock")
STOCK_WEIGHTS = (0.06, 0.1, 0.69, 0.15)


def level_payload(
    gid: str, updated: int, location: str, item: str, sku: str, quantities: dict[str, int]
) -> dict:
    return {
        "id": gid,
        "updatedAt": iso(updated),
        "location": {"id": location},
        "quantities": [{"name": name, "quantity": quantities[name]} for name in QUANTITY_NAMES],
        "item": {"id": item, "sku": sku},
    }


def quantities(available: int, committed: int, incoming: int) -> dict[str, int]:
    return {
        "available": available,
        "committed": committed,
        "incoming": incoming,
        "on_hand": available + committed,
        "reserved": 0,
    }


def initial_levels(
    catalog: Catalog,
    locations: list[str],
    sold_recent: dict[str, int],
    last_sale: dict[str, int],
    now: int,
    seed: int,
) -> list[tuple[str, int, str, dict]]:
    """(gid, updated_at, parent item gid, payload) of every level of the shop."""
    rng = random.Random(f"{seed}:inventory:{catalog.shop.domain}")
    rows = []
    seq = 0
    for variant in catalog.variants:
        velocity = sold_recent.get(variant.gid, 0) / 30.0
        stock = rng.choices(STOCK_CLASSES, STOCK_WEIGHTS)[0]
        if stock == "out":
            total, incoming = 0, rng.choice((0, math.ceil(velocity * 20) + 5))
        elif stock == "low":
            total, incoming = math.ceil(velocity * rng.uniform(1, 5)) + 1, randint(rng, 0, 20)
        elif stock == "normal":
            total, incoming = math.ceil(velocity * rng.uniform(15, 60)) + randint(rng, 3, 12), 0
        else:
            total, incoming = math.ceil(velocity * rng.uniform(150, 400)) + randint(rng, 40, 150), 0
        base = last_sale.get(variant.gid, variant.created)
        for k, location in enumerate(locations):
            seq += 1
            share = (0.7, 0.3, 0.1)[min(k, 2)] if len(locations) > 1 else 1.0
            available = int(total * share) if stock != "out" else 0
            committed = randint(rng, 0, 2) if available and velocity > 0.5 else 0
            updated = min(now, max(base, now - randint(rng, 1, 60) * DAY) - randint(rng, 0, 3600))
            gid = catalog.shop.gid("InventoryLevel", seq)
            rows.append(
                (
                    gid,
                    updated,
                    variant.item_gid,
                    level_payload(
                        gid,
                        updated,
                        location,
                        variant.item_gid,
                        variant.sku,
                        quantities(available, committed, incoming if k == 0 else 0),
                    ),
                )
            )
    return rows
