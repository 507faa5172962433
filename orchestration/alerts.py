"""Alerts delivered (issue 18): new critical rows posted to a webhook, at most once each.

Sources (contract views of the mart schema): critical rows of ``v_data_quality_alerts``,
anomalies of ``v_data_anomalies`` measured on the shop's latest day, and out-of-stock rows of
``v_inventory_alerts``. Each alert has a key (source, shop, the alert's identity); a key is
inserted into ``raw_app.alert_deliveries`` in the transaction that posts it, so an alert already
delivered is never posted again and one whose post failed is retried on the next evaluation.
The body is Slack-compatible JSON: ``{"text": ..., "alerts": [...]}``, one post per alert.
The URL (HOTROD_ALERT_WEBHOOK_URL) may carry a secret: it is never logged or stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass

import requests
from psycopg2 import sql

WEBHOOK_ENV = "HOTROD_ALERT_WEBHOOK_URL"
TIMEOUT_SECONDS = 10

# (source view, SQL selecting shop_domain, severity, message, identity) of its new alerts
SOURCES: tuple[tuple[str, str], ...] = (
    (
        "v_data_quality_alerts",
        "select shop_domain, severity::text, alert_message,"
        " concat_ws('|', alert_type, alert_source, alert_message)"
        " from {schema}.v_data_quality_alerts where severity = 'critical'",
    ),
    (
        "v_data_anomalies",
        "select shop_domain, 'critical', concat(metric, ' ', direction, ' on ', metric_date,"
        " ': ', metric_value, ' (z ', round(z_score, 1), ')'), concat_ws('|', metric, metric_date)"
        " from {schema}.v_data_anomalies a where is_anomaly and metric_date = ("
        " select max(b.metric_date) from {schema}.v_data_anomalies b"
        " where b.shop_domain = a.shop_domain)",
    ),
    (
        "v_inventory_alerts",
        "select shop_domain, 'critical', concat('Out of stock: ', sku, ' - ', alert_message),"
        " concat_ws('|', sku, snapshot_date) from {schema}.v_inventory_alerts"
        " where stock_status = 'out_of_stock'",
    ),
)


@dataclass(frozen=True)
class Alert:
    key: str
    shop_domain: str
    source: str
    severity: str
    message: str


def pending_alerts(cur, schema: str) -> list[Alert]:  # noqa: ANN001 - a psycopg2 cursor
    """Every current alert of the sources not yet delivered, oldest source first."""
    alerts = []
    for source, query in SOURCES:
        cur.execute(sql.SQL(query).format(schema=sql.Identifier(schema)))
        for shop, severity, message, identity in cur.fetchall():
            digest = hashlib.sha256(f"{source}|{shop}|{identity}".encode()).hexdigest()
            alerts.append(Alert(digest, shop, source, severity, message))
    if not alerts:
        return []
    cur.execute(
        "select alert_key from raw_app.alert_deliveries where alert_key = any(%s)",
        ([a.key for a in alerts],),
    )
    done = {row[0] for row in cur.fetchall()}
    return [a for a in alerts if a.key not in done]


def slack_body(alert: Alert) -> dict:
    text = f"[{alert.severity}] {alert.shop_domain}: {alert.message} ({alert.source})"
    return {"text": text, "alerts": [asdict(alert)]}


def post_json(url: str, body: dict) -> None:
    response = requests.post(url, json=body, timeout=TIMEOUT_SECONDS)
    if response.status_code >= 300:
        raise RuntimeError(
            f"the alert webhook answered HTTP {response.status_code}; check {WEBHOOK_ENV}"
        )


def deliver(
    conn,  # noqa: ANN001 - a psycopg2 connection (not autocommit)
    schema: str,
    url: str,
    post: Callable[[str, dict], None] = post_json,
) -> int:
    """Post each new alert once; returns how many were posted. A failed post stops the round
    (its alert and the ones after it are retried next time) and raises."""
    with conn.cursor() as cur:
        alerts = pending_alerts(cur, schema)
    conn.commit()
    sent = 0
    for alert in alerts:
        with conn.cursor() as cur:
            cur.execute(
                "insert into raw_app.alert_deliveries"
                " (alert_key, shop_domain, source, severity, message)"
                " values (%s, %s, %s, %s, %s) on conflict (alert_key) do nothing",
                (alert.key, alert.shop_domain, alert.source, alert.severity, alert.message),
            )
            claimed = cur.rowcount == 1
        if not claimed:  # another evaluation delivered it meanwhile
            conn.rollback()
            continue
        try:
            post(url, slack_body(alert))
        except Exception:
            conn.rollback()
            raise
        conn.commit()
        sent += 1
    return sent
