"""customers/data_request: everything held about a customer, as one JSON document.

The document is written under ``$HOTROD_HOME/privacy/exports/<shop>/`` (mode 0600) and kept in
raw_app.privacy_exports for the shop's operator to hand over; both go when the customer is
redacted.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg2.extensions
from psycopg2 import sql
from psycopg2.extras import Json

from warehouse.privacy import audit, catalog, subjects
from warehouse.settings import hotrod_home, marts_schema


def export_root() -> Path:
    return hotrod_home() / "privacy" / "exports"


def _rows(cur: psycopg2.extensions.cursor, query: sql.Composable, params: Any) -> list[Any]:
    cur.execute(query, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _raw(cur: psycopg2.extensions.cursor, subject: subjects.Subject) -> dict[str, list[Any]]:
    shop = subject.shop_domain
    wanted = {
        ("raw_shopify", "customers"): ("id = any(%s)", [subject.customer_id]),
        ("raw_shopify", "orders"): ("id = any(%s)", sorted(subject.order_ids)),
        ("raw_chatwoot", "contacts"): ("id = any(%s)", sorted(subject.contact_ids)),
        ("raw_chatwoot", "conversations"): ("id = any(%s)", sorted(subject.conversation_ids)),
        ("raw_chatwoot", "messages"): (
            "payload ->> 'conversation_id' = any(%s)",
            sorted(subject.conversation_ids),
        ),
        ("raw_chatwoot", "csat_survey_responses"): (
            "payload ->> 'conversation_id' = any(%s)",
            sorted(subject.conversation_ids),
        ),
    }
    out: dict[str, list[Any]] = {}
    for (schema, table), (condition, ids) in wanted.items():
        query = sql.SQL(
            "select id, updated_at, payload from {} where shop_domain = %s and "
            + condition
            + " order by id"
        ).format(sql.Identifier(schema, table))
        out[f"{schema}.{table}"] = [r["payload"] for r in _rows(cur, query, (shop, ids))]
    return out


# mart column -> the identifiers of the subject it may hold
def _keys(subject: subjects.Subject) -> dict[str, list[str]]:
    orders = sorted(subject.order_ids)
    return {
        "customer_id": [subject.customer_id, subject.numeric_id],
        "order_id": orders + [o.rsplit("/", 1)[-1] for o in orders],
        "contact_id": sorted(subject.contact_ids),
        "conversation_id": sorted(subject.conversation_ids),
    }


def _marts(cur: psycopg2.extensions.cursor, subject: subjects.Subject) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    keys = _keys(subject)
    for table in catalog.base_tables(cur, (marts_schema(), "intermediate")):
        if not table.has("shop_domain"):
            continue
        conditions = [
            sql.SQL("{}::text = any(%s)").format(sql.Identifier(column))
            for column in keys
            if table.has(column) and keys[column]
        ]
        params = [keys[column] for column in keys if table.has(column) and keys[column]]
        if not conditions:
            continue
        query = sql.SQL("select * from {} where shop_domain = %s and ({})").format(
            sql.Identifier(table.schema, table.name), sql.SQL(" or ").join(conditions)
        )
        rows = _rows(cur, query, [subject.shop_domain, *params])
        if rows:
            out[f"{table.schema}.{table.name}"] = rows
    return out


def build_document(cur: psycopg2.extensions.cursor, subject: subjects.Subject) -> dict[str, Any]:
    return {
        "shop_domain": subject.shop_domain,
        "customer_id": subject.customer_id,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "raw": _raw(cur, subject),
        "marts": _marts(cur, subject),
    }


def export_customer(
    conn: psycopg2.extensions.connection,
    shop_domain: str,
    customer_id: str | int,
    actor: str,
    emails: tuple[str, ...] = (),
    order_ids: tuple[str | int, ...] = (),
    requested_at: datetime | None = None,
    root: Path | None = None,
    commit: bool = True,
) -> tuple[Path, dict[str, int]]:
    """Write the customer's export, record it, audit it; returns (file, rows per relation)."""
    with conn.cursor() as cur:
        subject = subjects.find(cur, shop_domain, customer_id, emails, (), order_ids)
        document = build_document(cur, subject)
        text = json.dumps(document, indent=2, sort_keys=True, default=str)
        folder = (root or export_root()) / shop_domain
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = folder / f"customer-{subject.numeric_id}-{stamp}.json"
        path.touch(mode=0o600)
        path.write_text(text)
        counts = {
            name: len(rows)
            for part in ("raw", "marts")
            for name, rows in document[part].items()
            if rows
        }
        cur.execute(
            """
            insert into raw_app.privacy_exports
                (shop_domain, customer_id, actor, file_path, document)
            values (%s, %s, %s, %s, %s)
            """,
            (shop_domain, subject.customer_id, actor, str(path), Json(json.loads(text))),
        )
        audit.record(
            cur, "export_customer", shop_domain, subject.customer_id, actor, counts, requested_at
        )
    if commit:
        conn.commit()
    return path, counts


def delete_for(cur: psycopg2.extensions.cursor, shop_domain: str, customer_gid: str) -> int:
    """Delete the customer's earlier exports (rows and files)."""
    cur.execute(
        """
        delete from raw_app.privacy_exports where shop_domain = %s and customer_id = %s
        returning file_path
        """,
        (shop_domain, customer_gid),
    )
    paths = [row[0] for row in cur.fetchall()]
    for name in paths:
        if name:
            Path(name).unlink(missing_ok=True)
    return len(paths)


def delete_files_for_shop(shop_domain: str, root: Path | None = None) -> None:
    folder = (root or export_root()) / shop_domain
    if folder.is_dir():
        shutil.rmtree(folder)
