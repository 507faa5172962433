"""A large first load (or full read) of orders split into parts by ``updated_at``.

One bulk query's result is parsed, regrouped and landed by one interpreter: at a million orders
the largest shop's orders were the last read running, alone on one core. Shopify runs up to five
bulk queries per shop at once, so the read is split into ``parts`` bulk queries over adjacent
``updated_at`` ranges holding about as many orders each (found with ``ordersCount`` and a few
probes), read side by side. Every order is in exactly one range; an order updated during the read
may move between ranges, and the cursor the parts leave (the newest updatedAt they saw, less the
increments' lookback) has the next increment read it again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from extractors.records import iso, parse_timestamp
from extractors.shopify.client import ShopifyClient

log = logging.getLogger(__name__)

PROBES = 8  # ordersCount probes per boundary, at most
TOLERANCE = 0.05  # a boundary within this share of the orders of its target is good enough


def part_key(entity: str, index: int, parts: int) -> str:
    """The extract-state key of one part (``orders.part1of2``)."""
    return f"{entity}.part{index + 1}of{parts}"


def searches(bounds: list[str]) -> list[str]:
    """The ``updated_at`` filters of the parts between the ascending ``bounds``."""
    if not bounds:
        return []
    out = [f"updated_at:<'{bounds[0]}'"]
    for low, high in zip(bounds, bounds[1:], strict=False):
        out.append(f"updated_at:>='{low}' AND updated_at:<'{high}'")
    out.append(f"updated_at:>='{bounds[-1]}'")
    return out


def plan(client: ShopifyClient, parts: int, min_orders: int) -> list[str] | None:
    """The parts' ``updated_at`` filters, or None when the shop has fewer than ``min_orders``
    orders (or its orders' updatedAt cannot be split): then the read stays whole."""
    if parts < 2 or min_orders <= 0:
        return None
    total = client.orders_count()
    if total < max(min_orders, parts):
        return None
    oldest, newest = client.orders_updated_edge(False), client.orders_updated_edge(True)
    if not oldest or not newest:
        return None
    low = parse_timestamp(oldest)
    high = parse_timestamp(newest) + timedelta(seconds=1)
    bounds: list[str] = []
    for k in range(1, parts):
        found = _boundary(client, low, high, total * k / parts, total)
        if found is None:
            return None
        low = parse_timestamp(found)
        bounds.append(found)
    log.info("orders: %d to read, in %d parts split at %s", total, parts, ", ".join(bounds))
    return searches(bounds)


def _boundary(client: ShopifyClient, low, high, target: float, total: int) -> str | None:
    """A whole second between ``low`` and ``high`` before which about ``target`` orders were
    last updated (bisection on ``ordersCount``); None when no second splits them."""
    best: tuple[float, str] | None = None
    for _ in range(PROBES):
        seconds = int((high - low).total_seconds())
        if seconds < 2:
            break
        middle = iso(low + timedelta(seconds=seconds // 2))
        count = client.orders_count(f"updated_at:<'{middle}'")
        miss = abs(count - target)
        if 0 < count < total and (best is None or miss < best[0]):
            best = (miss, middle)
        if miss <= total * TOLERANCE:
            break
        if count < target:
            low = parse_timestamp(middle)
        else:
            high = parse_timestamp(middle)
    return None if best is None else best[1]
