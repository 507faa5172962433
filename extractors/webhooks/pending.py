"""Apply stored Shopify change notices: fetch the named records, land them, mark deletes.

A Shopify delivery is stored first (``raw_app.webhook_events``, ``record_gid`` = the record it
names). ``drain`` then takes a shop's pending deliveries (``applied_at`` null), fetches each named
record once through the Admin GraphQL API (``extractors.shopify.notices``) and lands it with the
extraction's newest-wins upsert; every delivery naming it is marked applied. A fetch that fails
leaves its deliveries pending, with ``attempts`` and ``last_error``: the next drain (the next
delivery of the shop, or the receiver's retry loop) tries again. One drain per shop at a time
(an advisory lock), so deliveries arriving together for one record are fetched once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import psycopg2.errors

from extractors import landing
from extractors.errors import ExtractError
from extractors.http import HttpClient, RetryPolicy
from extractors.records import RecordError, Row, dumps
from extractors.settings import ShopifySettings
from extractors.shopify import notices
from extractors.shopify.client import ShopifyClient

log = logging.getLogger(__name__)

DRAIN_ROWS = 500  # deliveries taken per pass
LOCK_WAIT = "5s"  # a drain waits this long for the shop's running drain, then leaves it the work
# Fetches from the receiver are short: a failing API leaves the delivery pending (retried)
# instead of keeping Shopify's request open (it gives up after 5 s and redelivers).
POLICY = RetryPolicy(
    max_attempts=2, budget_s=5.0, read_timeout_s=20.0, connect_timeout_s=5.0, throttle_budget_s=60
)

ClientFactory = Callable[[str], ShopifyClient]


def client_factory(settings: ShopifySettings, policy: RetryPolicy = POLICY) -> ClientFactory:
    def make(shop: str) -> ShopifyClient:
        http = HttpClient(ShopifyClient.headers(settings.access_token), policy)
        return ShopifyClient(http, settings.graphql_url(shop))

    return make


def mark_deleted(cur: Any, note: notices.Notice, shop: str, when: datetime | str | None) -> int:
    """Mark the raw row deleted (kept, with its history); the first report of it wins."""
    cur.execute(
        f"update raw_shopify.{note.entity} set deleted_at = coalesce(%s::timestamptz, now()) "
        "where shop_domain = %s and id = %s and deleted_at is null",
        (when, shop, note.gid),
    )
    return int(cur.rowcount)


def pending_shops(conn: Any) -> list[str]:
    with conn.cursor() as cur:
        cur.execute(
            "select distinct shop_domain from raw_app.webhook_events "
            "where source = 'shopify' and applied_at is null and record_gid is not null "
            "and shop_domain is not null"
        )
        shops = [r[0] for r in cur.fetchall()]
    conn.commit()
    return shops


def drain(conn: Any, shop: str, make_client: ClientFactory) -> tuple[int, int]:
    """Land every pending change notice of ``shop``; returns (deliveries applied, still pending).

    Commits. Never raises for an API failure (the deliveries stay pending)."""
    applied = failed = 0
    while True:
        with conn.cursor() as cur:
            cur.execute(f"set local lock_timeout = '{LOCK_WAIT}'")
            try:
                cur.execute(
                    "select pg_advisory_xact_lock(hashtext('hotrod.webhooks'), hashtext(%s))",
                    (shop,),
                )
            except psycopg2.errors.LockNotAvailable:  # the running drain takes what is pending
                conn.rollback()
                return applied, failed
            cur.execute(
                "select delivery_id, record_gid from raw_app.webhook_events "
                "where source = 'shopify' and shop_domain = %s and applied_at is null "
                "and record_gid is not null order by received_at limit %s",
                (shop, DRAIN_ROWS),
            )
            pending = cur.fetchall()
            if not pending:
                conn.commit()
                return applied, failed
            done, errors = _land(cur, shop, pending, make_client)
            conn.commit()
        applied += done
        failed += errors
        if errors or len(pending) < DRAIN_ROWS:
            return applied, failed


def _land(
    cur: Any, shop: str, pending: list[tuple[str, str]], make_client: ClientFactory
) -> tuple[int, int]:
    by_entity: dict[str, dict[str, list[str]]] = {}  # entity -> gid -> delivery ids
    for delivery_id, gid in pending:
        type_name = gid.split("/")[3] if gid.count("/") >= 4 else ""
        entity = notices.ENTITY_OF_TYPE.get(type_name)
        if entity is None:
            _settle(cur, [delivery_id], f"unsupported record {gid}")
            continue
        by_entity.setdefault(entity, {}).setdefault(gid, []).append(delivery_id)
    client = make_client(shop)
    applied = failed = 0
    try:
        for entity, named in by_entity.items():
            batch = f"webhook:{next(iter(named.values()))[0]}"
            try:
                fetched = list(notices.fetch(client, entity, list(named)))
            except ExtractError as exc:
                ids = [d for ds in named.values() for d in ds]
                cur.execute(
                    "update raw_app.webhook_events set attempts = attempts + 1, last_error = %s "
                    "where source = 'shopify' and delivery_id = any(%s)",
                    (str(exc)[:500], ids),
                )
                log.warning("%s: %d deliveries stay pending: %s", shop, len(ids), exc)
                failed += len(ids)
                continue
            rows: list[Row] = []
            bad: list[tuple[str, str]] = []
            for gids, node, problem in fetched:
                ids = [d for g in gids for d in named.get(g, [])]
                if node is None:
                    _settle(cur, ids, "not returned by the Admin API (deleted or not visible)")
                    applied += len(ids)
                    continue
                if problem:  # its nested lists could not be read to the end
                    bad.append((problem, dumps(node)))
                else:
                    try:
                        rows.extend(notices.rows(entity, node))
                    except RecordError as exc:
                        bad.append((f"{entity}: {exc}", dumps(node)))
                _settle(cur, ids, None)
                applied += len(ids)
            landing.upsert_rows(cur, f"raw_shopify.{entity}", shop, batch, rows)
            landing.quarantine(cur, "shopify", entity, shop, batch, bad)
    finally:
        client.http.close()
    return applied, failed


def _settle(cur: Any, delivery_ids: list[str], note: str | None) -> None:
    cur.execute(
        "update raw_app.webhook_events set applied_at = now(), attempts = attempts + 1, "
        "last_error = %s where source = 'shopify' and delivery_id = any(%s)",
        (note, delivery_ids),
    )
