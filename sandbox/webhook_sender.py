"""Deliver the sandbox's changes as Shopify and Chatwoot webhooks to a receiver.

Shopify deliveries go to ``{to}/webhooks/shopify`` with Shopify's headers and an HMAC of the raw
body; Chatwoot deliveries to ``{to}/webhooks/chatwoot`` with ``X-Chatwoot-Signature`` over
``"{timestamp}.{body}"`` (or unsigned, as older Chatwoot servers send them). Like the real
platforms, delivery is at-least-once: a failed delivery (non-2xx or no answer) is retried with the
same ids, ``duplicates`` re-sends some deliveries, and ``shuffle`` delivers out of order. Shopify
bodies are REST resources (``shopify_bodies``), Chatwoot bodies as Chatwoot builds them
(``chatwoot_bodies``); the topics of one Shopify action share their ``X-Shopify-Event-Id``.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests

from sandbox import chatwoot_bodies, shopify_bodies
from sandbox.signing import chatwoot_signature, shopify_hmac

API_VERSION = "2026-07"
DEFAULT_SHOPIFY_SECRET = "sandbox_shopify_secret"
DEFAULT_CHATWOOT_SECRET = "sandbox_chatwoot_secret"
NAMESPACE = uuid.UUID("6f1c7b0e-3c1d-4a53-9a43-2d1f5e0c8a11")


@dataclass
class Delivery:
    source: str  # shopify | chatwoot
    topic: str
    shop_domain: str
    body: bytes
    delivery_id: str
    event_id: str
    triggered_at: str


@dataclass
class SendReport:
    delivered: int = 0
    duplicates: int = 0
    retries: int = 0
    failed: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "delivered": self.delivered,
            "duplicates": self.duplicates,
            "retries": self.retries,
            "failed": self.failed,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


def _action(change: dict, seed: int) -> str:
    """One merchant action: the topics of one record at one moment share their Event-Id (and
    the records of an action the stand-in names, e.g. a SKU change: product and item)."""
    if change.get("action"):
        return f"{seed}:{change['source']}:{change['shop_domain']}:{change['action']}"
    payload = change.get("payload") or {}
    stamp = payload.get("updatedAt") or payload.get("updated_at") or change.get("seq")
    return f"{seed}:{change['source']}:{change['shop_domain']}:{change['id']}:{stamp}"


def build_deliveries(changes: Iterable[dict], *, seed: int = 0) -> list[Delivery]:
    """One delivery per Shopify/Chatwoot change (app-table changes have no webhooks)."""
    out: list[Delivery] = []
    changes = list(changes)
    chatwoot = chatwoot_bodies.ChatwootBodies(changes)  # bodies as Chatwoot builds them
    for change in changes:
        if change["source"] not in ("shopify", "chatwoot"):
            continue
        key = f"{seed}:{change.get('seq')}:{change['source']}:{change['id']}:{change['topic']}"
        if change["source"] == "shopify":
            body = shopify_bodies.body(change["topic"], change["payload"])
            event = _action(change, seed)
        else:
            body = chatwoot.body(change)
            event = key
        payload = change.get("payload") or {}
        stamp = body.get("updated_at") or payload.get("updatedAt") or datetime.now(UTC).isoformat()
        if isinstance(stamp, int):
            stamp = datetime.fromtimestamp(stamp, UTC).isoformat()
        out.append(
            Delivery(
                source=change["source"],
                topic=change["topic"],
                shop_domain=change["shop_domain"],
                body=json.dumps(body, separators=(",", ":")).encode(),
                delivery_id=str(uuid.uuid5(NAMESPACE, "delivery:" + key)),
                event_id=str(uuid.uuid5(NAMESPACE, "event:" + event)),
                triggered_at=str(stamp),
            )
        )
    return out


def privacy_deliveries(shop_domain: str, customer: dict, *, seed: int = 0) -> list[Delivery]:
    """customers/data_request, customers/redact and shop/redact for one customer and shop."""
    shop_id = int(hashlib.sha256(shop_domain.encode()).hexdigest()[:8], 16)
    cust = {
        "id": shopify_bodies.numeric_id(customer.get("id", "")),
        "email": (customer.get("defaultEmailAddress") or {}).get("emailAddress"),
        "phone": (customer.get("defaultPhoneNumber") or {}).get("phoneNumber"),
    }
    bodies = {
        "customers/data_request": {
            "shop_id": shop_id,
            "shop_domain": shop_domain,
            "orders_requested": [],
            "customer": cust,
            "data_request": {"id": 1},
        },
        "customers/redact": {
            "shop_id": shop_id,
            "shop_domain": shop_domain,
            "customer": cust,
            "orders_to_redact": [],
        },
        "shop/redact": {"shop_id": shop_id, "shop_domain": shop_domain},
    }
    now = datetime.now(UTC).isoformat()
    return [
        Delivery(
            "shopify",
            topic,
            shop_domain,
            json.dumps(body, separators=(",", ":")).encode(),
            str(uuid.uuid5(NAMESPACE, f"privacy:{seed}:{shop_domain}:{topic}:{cust['id']}")),
            str(uuid.uuid5(NAMESPACE, f"privacy-event:{seed}:{shop_domain}:{topic}:{cust['id']}")),
            now,
        )
        for topic, body in bodies.items()
    ]


def headers_for(
    delivery: Delivery,
    *,
    shopify_secret: str,
    chatwoot_secret: str | None,
    timestamp: int | None = None,
) -> dict[str, str]:
    base = {"Content-Type": "application/json"}
    if delivery.source == "shopify":
        return base | {
            "X-Shopify-Topic": delivery.topic,
            "X-Shopify-Shop-Domain": delivery.shop_domain,
            "X-Shopify-Webhook-Id": delivery.delivery_id,
            "X-Shopify-Event-Id": delivery.event_id,
            "X-Shopify-Triggered-At": delivery.triggered_at,
            "X-Shopify-API-Version": API_VERSION,
            "X-Shopify-Hmac-Sha256": shopify_hmac(shopify_secret, delivery.body),
        }
    headers = base | {"X-Chatwoot-Delivery": delivery.delivery_id}
    if chatwoot_secret is not None:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        headers["X-Chatwoot-Timestamp"] = stamp
        headers["X-Chatwoot-Signature"] = chatwoot_signature(chatwoot_secret, stamp, delivery.body)
    return headers


def plan(
    deliveries: list[Delivery], *, duplicates: int = 0, shuffle: bool = False, seed: int = 0
) -> tuple[list[Delivery], int]:
    """The delivery order: ``duplicates`` deliveries repeated (same ids), optionally shuffled."""
    rng = random.Random(seed)
    order = list(deliveries)
    extra = [rng.choice(deliveries) for _ in range(duplicates)] if deliveries else []
    order.extend(extra)
    if shuffle:
        rng.shuffle(order)
    return order, len(extra)


def send(
    deliveries: list[Delivery],
    to: str,
    *,
    shopify_secret: str = DEFAULT_SHOPIFY_SECRET,
    chatwoot_secret: str | None = DEFAULT_CHATWOOT_SECRET,
    duplicates: int = 0,
    shuffle: bool = False,
    seed: int = 0,
    max_attempts: int = 3,
    backoff: float = 0.2,
    session: requests.Session | None = None,
    timeout: float = 10.0,
) -> SendReport:
    """POST every delivery (retrying failures with the same ids) and count what happened."""
    http = session or requests.Session()
    order, report_dups = plan(deliveries, duplicates=duplicates, shuffle=shuffle, seed=seed)
    report = SendReport(duplicates=report_dups)
    base = to.rstrip("/")
    for delivery in order:
        url = f"{base}/webhooks/{delivery.source}"
        if delivery.source == "chatwoot":  # Chatwoot: the URL registered for the account
            url = base + chatwoot_bodies.webhook_path(delivery.shop_domain)
        for attempt in range(1, max_attempts + 1):
            headers = headers_for(
                delivery, shopify_secret=shopify_secret, chatwoot_secret=chatwoot_secret
            )
            try:
                response = http.post(url, data=delivery.body, headers=headers, timeout=timeout)
                status = response.status_code
            except requests.RequestException:
                status = 0
            report.statuses[status] = report.statuses.get(status, 0) + 1
            if 200 <= status < 300:
                report.delivered += 1
                break
            if attempt == max_attempts:
                report.failed += 1
            else:
                report.retries += 1
                time.sleep(backoff * attempt)
    return report


def fetch_changes(sandbox_url: str, since: int = 0, timeout: float = 30.0) -> list[dict]:
    response = requests.get(
        f"{sandbox_url.rstrip('/')}/_sandbox/changes", params={"since": since}, timeout=timeout
    )
    response.raise_for_status()
    return list(response.json()["changes"])
