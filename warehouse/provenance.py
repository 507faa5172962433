"""Sandbox data and real data never meet in one warehouse.

Sandbox shops live under ``.sandbox.test`` (``.test`` is reserved: no real shop has such a
domain). Before anything lands for a shop, :func:`admit` checks what the warehouse already holds:
a warehouse that has received data from a real shop refuses sandbox data, and the reverse.
"""

from __future__ import annotations

from typing import Any

from warehouse.connection import WarehouseError, connection
from warehouse.settings import DatabaseUrl

SANDBOX_SUFFIX = ".sandbox.test"

# Every landing leaves its shop here: extract cursors and the load ledger (extractors), the shop
# record itself, and webhook deliveries (the receiver).
_OTHER_KIND = """
select shop_domain from (
    select shop_domain from raw_app.extract_state
    union all select shop_domain from raw_app.load_ledger
    union all select shop_domain from raw_shopify.shops
    union all select shop_domain from raw_app.webhook_events
) as landed
where shop_domain is not null and (lower(shop_domain) like %s) <> %s
limit 1
"""


class SourceMixError(WarehouseError):
    """Sandbox data offered to a warehouse holding real data, or the reverse."""


def is_sandbox_shop(shop_domain: str) -> bool:
    return shop_domain.strip().lower().endswith(SANDBOX_SUFFIX)


def kind(shop_domain: str) -> str:
    return "sandbox" if is_sandbox_shop(shop_domain) else "real"


def admit(cur: Any, shop_domain: str) -> None:
    """Raise SourceMixError when the warehouse holds data of the other kind than this shop's."""
    sandbox = is_sandbox_shop(shop_domain)
    cur.execute(_OTHER_KIND, (f"%{SANDBOX_SUFFIX}", sandbox))
    row = cur.fetchone()
    if row is None:
        return
    mine, theirs = kind(shop_domain), kind(row[0])
    raise SourceMixError(
        f"refusing {mine} data for {shop_domain}: this warehouse already holds {theirs} data "
        f"(shop {row[0]}); use a database of its own for the {mine} data (HOTROD_DATABASE_URL)"
    )


def admit_url(url: DatabaseUrl, shop_domain: str) -> None:
    """:func:`admit` on a short connection of its own (nothing of the caller's is held open)."""
    with connection(url, autocommit=True) as conn, conn.cursor() as cur:
        admit(cur, shop_domain)
