"""From a verified Chatwoot delivery to rows: which raw table, which row, or why it cannot be
applied (Shopify deliveries are change notices: extractors/webhooks/pending.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from extractors.chatwoot import webhooks as chatwoot_webhooks
from extractors.records import RecordError, Row


@dataclass
class Applied:
    table: str | None  # schema.table, None when nothing is to be applied
    rows: list[Row]
    reason: str | None = None  # why it could not be applied (quarantine reason)
    # lands the delivery itself (cursor, shop, batch id) instead of a plain upsert of ``rows``
    land: Callable[[Any, str, str], None] | None = None


def chatwoot_rows(
    event: str, body: Any, shop: str | None = None, accounts: Sequence[tuple[str, str]] = ()
) -> Applied:
    """Chatwoot: the mapping lives with the Chatwoot extractor (extractors/chatwoot/webhooks)."""
    if event not in chatwoot_webhooks.EVENTS:
        return Applied(None, [])  # stored, not applied (typing, inbox events, ...)
    if not isinstance(body, dict):
        return Applied(None, [], f"chatwoot {event}: the body is not an object")
    try:
        rows = chatwoot_webhooks.mapped(event, body, shop or "", accounts)
    except RecordError as exc:
        return Applied(None, [], f"chatwoot {event}: {exc}")

    def land(cur: Any, shop_domain: str, batch_id: str) -> None:
        chatwoot_webhooks.land(cur, rows, shop_domain, batch_id)

    return Applied(rows.table, [], land=land)
