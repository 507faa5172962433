"""Act on the privacy webhooks the receiver stored in raw_app.webhook_events.

Each pending delivery (``processed_at is null``) is handled in its own transaction, locked with
``for update skip locked`` so two workers never act twice. A delivery that fails stays pending,
with a ``failed`` audit row saying why, and is retried next time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg2
import psycopg2.extensions

from warehouse.connection import connect
from warehouse.privacy import audit, exports, redact, subjects
from warehouse.settings import DatabaseUrl

log = logging.getLogger(__name__)

TOPICS = ("customers/data_request", "customers/redact", "shop/redact")


@dataclass
class Outcome:
    delivery_id: str
    topic: str
    status: str  # done | failed
    detail: str


def _next_pending(cur: psycopg2.extensions.cursor, done: set[tuple[str, str]]) -> Any:
    cur.execute(
        """
        select source, delivery_id, shop_domain, topic, payload, received_at
        from raw_app.webhook_events
        where topic = any(%s) and processed_at is null
          and not (source || ':' || delivery_id) = any(%s)
        order by received_at, delivery_id
        limit 1
        for update skip locked
        """,
        (list(TOPICS), sorted(f"{s}:{d}" for s, d in done)),
    )
    return cur.fetchone()


def _ids(values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in values or () if v is not None)


def handle(
    conn: psycopg2.extensions.connection,
    topic: str,
    shop: str,
    payload: dict[str, Any],
    actor: str,
    requested_at: datetime | None,
) -> str:
    """Perform the action a privacy delivery asks for; returns a one-line summary."""
    customer = payload.get("customer") or {}
    if topic == "shop/redact":
        counts = redact.redact_shop(conn, shop, actor, requested_at, commit=False)
        return f"shop redacted, {sum(counts.values())} rows deleted"
    if not customer.get("id"):
        raise ValueError(f"{topic} payload has no customer.id")
    emails = _ids([customer.get("email")])
    if topic == "customers/data_request":
        path, counts = exports.export_customer(
            conn,
            shop,
            customer["id"],
            actor,
            emails,
            _ids(payload.get("orders_requested")),
            requested_at,
            commit=False,
        )
        return f"exported {sum(counts.values())} records to {path.name}"
    counts = redact.redact_customer(
        conn,
        shop,
        customer["id"],
        actor,
        emails,
        _ids([customer.get("phone")]),
        _ids(payload.get("orders_to_redact")),
        requested_at,
        commit=False,
    )
    return f"customer redacted, {sum(counts.values())} rows changed"


def process_pending(
    conn: psycopg2.extensions.connection, limit: int | None = None
) -> list[Outcome]:
    """Handle every pending privacy delivery (or at most ``limit``); returns what happened."""
    outcomes: list[Outcome] = []
    seen: set[tuple[str, str]] = set()
    while limit is None or len(outcomes) < limit:
        with conn.cursor() as cur:
            row = _next_pending(cur, seen)
            if row is None:
                conn.rollback()
                break
            source, delivery_id, shop, topic, payload, received_at = row
            seen.add((source, delivery_id))
            shop = shop or (payload or {}).get("shop_domain")
            actor = f"webhook:{source}:{delivery_id}"
            try:
                if not shop:
                    raise ValueError("delivery names no shop_domain")
                detail = handle(conn, topic, shop, payload or {}, actor, received_at)
                with conn.cursor() as done:
                    done.execute(
                        "update raw_app.webhook_events set processed_at = now() "
                        "where source = %s and delivery_id = %s",
                        (source, delivery_id),
                    )
                conn.commit()
                outcomes.append(Outcome(delivery_id, topic, "done", detail))
                log.info("privacy %s %s: %s", topic, delivery_id, detail)
            except (ValueError, psycopg2.Error) as exc:
                conn.rollback()
                reason = _reason(exc)
                with conn.cursor() as failed:
                    subject = _subject_of(topic, shop, payload or {})
                    audit.record(
                        failed,
                        _action(topic),
                        shop if topic != "shop/redact" else None,
                        subject,
                        actor,
                        {},
                        received_at,
                        status="failed",
                        detail=reason,
                    )
                conn.commit()
                outcomes.append(Outcome(delivery_id, topic, "failed", reason))
                log.error("privacy %s %s failed: %s", topic, delivery_id, reason)
    return outcomes


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


def _action(topic: str) -> str:
    return {
        "customers/data_request": "export_customer",
        "customers/redact": "redact_customer",
        "shop/redact": "redact_shop",
    }[topic]


def _subject_of(topic: str, shop: str | None, payload: dict[str, Any]) -> str:
    if topic == "shop/redact":
        return f"sha256:{redact.shop_digest(shop or '')}"
    try:
        return subjects.customer_gid((payload.get("customer") or {}).get("id", ""))
    except ValueError:
        return "unknown"


def process_url(url: DatabaseUrl, limit: int | None = None) -> list[Outcome]:
    """Open a connection to ``url`` and handle the pending privacy deliveries (for schedulers)."""
    conn = connect(url)
    try:
        return process_pending(conn, limit)
    finally:
        conn.close()
