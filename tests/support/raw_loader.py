"""Load a sandbox store straight into the raw landing tables (no HTTP, no extractors).

Test helper: it writes the landing columns of docs/raw-landing.md (shop_domain, id, updated_at,
payload, extracted_at, batch_id) with the same upsert rule the extractors follow — a payload
replaces the stored one only when its updated_at is newer, or equal with a different payload.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from warehouse.connection import connect
from warehouse.settings import DatabaseUrl

# (store source, entity) -> raw schema.table
RAW_TABLES: dict[tuple[str, str], str] = {
    ("shopify", "shops"): "raw_shopify.shops",
    ("shopify", "locations"): "raw_shopify.locations",
    ("shopify", "products"): "raw_shopify.products",
    ("shopify", "inventory_levels"): "raw_shopify.inventory_levels",
    ("shopify", "customers"): "raw_shopify.customers",
    ("shopify", "orders"): "raw_shopify.orders",
    ("chatwoot", "conversations"): "raw_chatwoot.conversations",
    ("chatwoot", "messages"): "raw_chatwoot.messages",
    ("chatwoot", "agents"): "raw_chatwoot.agents",
    ("chatwoot", "inboxes"): "raw_chatwoot.inboxes",
    ("chatwoot", "contacts"): "raw_chatwoot.contacts",
    ("chatwoot", "csat_survey_responses"): "raw_chatwoot.csat_survey_responses",
    ("app", "shops"): "raw_app.shops",
    ("app", "decision_log"): "raw_app.decision_log",
    ("app", "ceo_time_entries"): "raw_app.ceo_time_entries",
}


class StoreLike(Protocol):
    """What the loader needs of sandbox.store.SandboxStore (or a test stand-in)."""

    def shops(self) -> list[dict]: ...

    def iter_records(self, source: str, entity: str, shop_domain: str | None) -> Iterator[Any]: ...


@dataclass(frozen=True)
class LoadResult:
    table: str
    rows: int


def _shop_domains(store: StoreLike) -> list[str]:
    return [shop.get("domain") or shop["shop_domain"] for shop in store.shops()]


def _rows(
    store: StoreLike, source: str, entity: str, extracted_at: datetime, batch_id: str
) -> Iterable[tuple[str, str, datetime, str, datetime, str]]:
    if (source, entity) == ("app", "shops"):
        # Platform installs may have no shop data: read every shop, key by the payload's domain.
        for record in store.iter_records(source, entity, None):
            domain = record.payload["shop_domain"]
            payload = json.dumps(record.payload)
            yield domain, domain, record.updated_at, payload, extracted_at, batch_id
        return
    for domain in _shop_domains(store):
        for record in store.iter_records(source, entity, domain):
            yield (
                domain,
                str(record.id),
                record.updated_at,
                json.dumps(record.payload),
                extracted_at,
                batch_id,
            )


_COPY_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def _copy_text(rows: Iterable[tuple]) -> io.StringIO:
    buffer = io.StringIO()
    for row in rows:
        fields = []
        for value in row:
            text = value.isoformat() if isinstance(value, datetime) else str(value)
            for raw, escaped in _COPY_ESCAPES:
                text = text.replace(raw, escaped)
            fields.append(text)
        buffer.write("\t".join(fields) + "\n")
    buffer.seek(0)
    return buffer


def load_store(
    url: DatabaseUrl,
    store: StoreLike,
    batch_id: str = "sandbox-load",
    extracted_at: datetime | None = None,
) -> list[LoadResult]:
    """Upsert every entity of the store into the raw tables; returns rows read per table."""
    extracted_at = extracted_at or datetime.now(UTC)
    results: list[LoadResult] = []
    conn = connect(url)
    try:
        with conn, conn.cursor() as cur:
            for (source, entity), table in RAW_TABLES.items():
                cur.execute(
                    "create temp table if not exists _load (shop_domain text, id text,"
                    " updated_at timestamptz, payload jsonb, extracted_at timestamptz,"
                    " batch_id text) on commit drop"
                )
                cur.execute("truncate _load")
                buffer = _copy_text(_rows(store, source, entity, extracted_at, batch_id))
                cur.copy_expert(
                    "copy _load (shop_domain, id, updated_at, payload, extracted_at, batch_id)"
                    " from stdin",
                    buffer,
                )
                cur.execute(
                    f"insert into {table} as t"  # noqa: S608 - table names from RAW_TABLES
                    " (shop_domain, id, updated_at, payload, extracted_at, batch_id)"
                    " select distinct on (shop_domain, id) * from _load"
                    " order by shop_domain, id, updated_at desc"
                    " on conflict (shop_domain, id) do update set"
                    " updated_at = excluded.updated_at, payload = excluded.payload,"
                    " extracted_at = excluded.extracted_at, batch_id = excluded.batch_id"
                    " where excluded.updated_at > t.updated_at"
                    " or (excluded.updated_at = t.updated_at and excluded.payload <> t.payload)"
                )
                cur.execute("select count(*) from _load")
                results.append(LoadResult(table, cur.fetchone()[0]))
    finally:
        conn.close()
    return results
