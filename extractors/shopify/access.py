"""Shopify access check at the start of an orders extraction: the token's scopes.

Without ``read_all_orders`` the Admin API returns only the orders of the last 60 days, with no
error: year-to-date figures, growth and customer segments would silently be short. The scopes
come from ``currentAppInstallation { accessScopes }``; a missing scope is said in one log line,
recorded in ``raw_app.access_checks`` and shown as a failing check in ``v_data_quality_checks``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from extractors.shopify.client import ShopifyClient
from warehouse.connection import connection
from warehouse.settings import DatabaseUrl

log = logging.getLogger(__name__)

ALL_ORDERS_SCOPE = "read_all_orders"
CHECK_NAME = "shopify_read_all_orders"


@dataclass(frozen=True)
class AccessCheck:
    source: str
    shop_domain: str
    check_name: str
    passed: bool
    detail: str


def check_order_history(client: ShopifyClient, shop: str) -> AccessCheck:
    """Can the token see every order (``read_all_orders``)? Says so in one line when not."""
    scopes = client.access_scopes()
    if ALL_ORDERS_SCOPE in scopes:
        return AccessCheck("shopify", shop, CHECK_NAME, True, "read_all_orders granted")
    detail = (
        f"{shop}: the Shopify token lacks the read_all_orders scope, so orders older than 60 "
        "days are not visible (year-to-date, growth and segments are short): grant "
        "read_all_orders to the app and have the merchant approve it"
    )
    log.warning(detail)
    return AccessCheck("shopify", shop, CHECK_NAME, False, detail)


def record(url: DatabaseUrl, check: AccessCheck, batch_id: str) -> None:
    """Store the check's newest result (its own short transaction)."""
    with connection(url) as conn, conn.cursor() as cur:
        cur.execute(
            "insert into raw_app.access_checks "
            "(source, shop_domain, check_name, passed, detail, batch_id, checked_at) "
            "values (%s, %s, %s, %s, %s, %s, now()) "
            "on conflict (source, shop_domain, check_name) do update set "
            "passed = excluded.passed, detail = excluded.detail, batch_id = excluded.batch_id, "
            "checked_at = excluded.checked_at",
            (check.source, check.shop_domain, check.check_name, check.passed, check.detail)
            + (batch_id,),
        )
