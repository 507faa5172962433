"""Golden figures the marts must reproduce, computed in Python from the generated records.

Definitions: docs/raw-landing.md, "Definitions shared by the sandbox truth and the marts". Every
figure is recomputed from the landed payloads (never from the generator's internals or SQL), so a
mismatch with a mart points at the pipeline, not at the generator.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sandbox.generator.clock import zone
from sandbox.generator.money import cents, fmt
from sandbox.records import ENTITIES, StoreReader

TRUTH_VERSION = "2"  # bump when a definition changes (invalidates saved truth files); 2: net SKU
FULFILLMENT_SLA_SECONDS = 48 * 3600
FIRST_RESPONSE_SLA_SECONDS = 120 * 60
SKU_WINDOW_DAYS = 30


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def net_cents(discounted_total: int, current: int, ordered: int) -> int:
    """The line's discounted total for its current units, to the cent (half away from zero, as
    Postgres ``round(numeric, 2)``)."""
    if current == ordered:
        return discounted_total
    numerator = 2 * discounted_total * current + ordered
    return (
        numerator // (2 * ordered)
        if discounted_total >= 0
        else -net_cents(-discounted_total, current, ordered)
    )


def shop_truth(store: StoreReader, domain: str, timezone: str, as_of: int) -> dict:
    tz = zone(timezone)

    def day_of(epoch: int) -> str:
        return datetime.fromtimestamp(epoch, tz).date().isoformat()

    as_of_day = datetime.fromtimestamp(as_of, tz).date()
    window_start = (as_of_day - timedelta(days=SKU_WINDOW_DAYS - 1)).isoformat()
    window_end = as_of_day.isoformat()
    daily: dict[str, list[int]] = {}
    skus: dict[str, list[int]] = {}
    sla_breaches = 0
    for record in store.iter_records("shopify", "orders", domain):
        order = record.payload
        if order["test"] or order["cancelledAt"] is not None:
            continue
        created = _epoch(order["createdAt"])
        day = day_of(created)
        row = daily.setdefault(day, [0, 0, 0])
        row[0] += 1
        row[1] += cents(order["totalPriceSet"]["shopMoney"]["amount"])
        for refund in order["refunds"]:
            refund_day = day_of(_epoch(refund["createdAt"]))
            daily.setdefault(refund_day, [0, 0, 0])[2] += cents(
                refund["totalRefundedSet"]["shopMoney"]["amount"]
            )
        if window_start <= day <= window_end:
            for line in order["lineItems"]:
                current = line["currentQuantity"]
                if not current:  # every unit removed by an edit or refunded: no line
                    continue
                sku = skus.setdefault(line["sku"], [0, 0])
                sku[0] += current
                sku[1] += net_cents(
                    cents(line["discountedTotalSet"]["shopMoney"]["amount"]),
                    current,
                    line["quantity"],
                )
        shipped = [
            _epoch(f["createdAt"]) for f in order["fulfillments"] if f["status"] == "SUCCESS"
        ]
        if shipped:
            sla_breaches += min(shipped) - created > FULFILLMENT_SLA_SECONDS
        else:
            sla_breaches += as_of - created > FULFILLMENT_SLA_SECONDS

    first_reply: dict[int, int] = {}
    for record in store.iter_records("chatwoot", "messages", domain):
        message = record.payload
        if (
            message["message_type"] == 1
            and not message["private"]
            and (message["sender_type"] == "User")
        ):
            conv = message["conversation_id"]
            at = message["created_at"]
            if conv not in first_reply or at < first_reply[conv]:
                first_reply[conv] = at
    cx_breaches = 0
    for record in store.iter_records("chatwoot", "conversations", domain):
        conv = record.payload
        created = conv["created_at"]
        reply = first_reply.get(conv["id"])
        if reply is not None and reply >= created:
            cx_breaches += reply - created > FIRST_RESPONSE_SLA_SECONDS
        else:
            cx_breaches += as_of - created > FIRST_RESPONSE_SLA_SECONDS

    counts = {
        f"{source}.{entity}": store.count(source, entity, domain)
        for source, entities in ENTITIES.items()
        for entity in entities
    }
    return {
        "daily": {
            day: {"orders": row[0], "gross_revenue": fmt(row[1]), "refunds": fmt(row[2])}
            for day, row in sorted(daily.items())
        },
        "sku_30d": {
            sku: {"units": row[0], "revenue": fmt(row[1])} for sku, row in sorted(skus.items())
        },
        "fulfillment_sla_breaches": int(sla_breaches),
        "cx_first_response_breaches": int(cx_breaches),
        "counts": counts,
    }


def compute_truth(store: StoreReader) -> dict:
    as_of = int(store.now.timestamp())
    return {
        "as_of": store.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "shops": {
            shop["domain"]: shop_truth(store, shop["domain"], shop["timezone"], as_of)
            for shop in store.shops()
        },
        "personas": store.personas(),
    }
