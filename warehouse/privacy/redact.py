"""Redact a customer (PII removed everywhere, for good) or a shop (every row removed)."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime

import psycopg2.extensions
from psycopg2 import sql

from warehouse.privacy import audit, catalog, exports, subjects

log = logging.getLogger(__name__)

REDACTED = "[redacted]"

AUDIT_TABLE = ("raw_app", "privacy_audit_log")


def shop_digest(shop_domain: str) -> str:
    return hashlib.sha256(shop_domain.encode()).hexdigest()


def _record_subject(cur: psycopg2.extensions.cursor, subject: subjects.Subject) -> None:
    cur.execute(
        """
        insert into raw_app.redactions (shop_domain, customer_id, email)
        values (%s, %s, null)
        on conflict (shop_domain, customer_id) do update set email = null
        """,
        (subject.shop_domain, subject.customer_id),
    )
    items = [("customer", subject.customer_id), ("customer_number", subject.numeric_id)]
    items += [("contact", v) for v in subject.contact_ids]
    items += [("conversation", v) for v in subject.conversation_ids]
    items += [("order", v) for v in subject.order_ids]
    for kind, values, digest in (
        ("email_sha256", subject.emails, "security.email_digest"),
        ("phone_sha256", subject.phones, "security.phone_digest"),
    ):
        for value in values:
            cur.execute(sql.SQL("select {}(%s)").format(sql.SQL(digest)), (value,))
            hashed = cur.fetchone()[0]
            if hashed:
                items.append((kind, hashed))
    for kind, value in items:
        cur.execute(
            """
            insert into raw_app.redaction_subjects (shop_domain, customer_id, kind, value)
            values (%s, %s, %s, %s) on conflict do nothing
            """,
            (subject.shop_domain, subject.customer_id, kind, value),
        )


def _scrub_raw(cur: psycopg2.extensions.cursor, shop_domain: str) -> dict[str, int]:
    """Scrub the raw rows of the shop's redacted customers (set-based, in the database)."""
    cur.execute("select security.apply_redactions(%s)", (shop_domain,))
    return dict(cur.fetchone()[0])


def _pattern(values: list[str]) -> str:
    return "|".join(re.escape(v) for v in values)


def _scrub_everywhere(
    cur: psycopg2.extensions.cursor, values: list[str], shop_domain: str
) -> dict[str, int]:
    """Replace the values in every text/json column of every table (marts, staging, state...)."""
    counts: dict[str, int] = {}
    if not values:
        return counts
    pattern = _pattern(values)
    likes = [f"%{v}%" for v in values]
    for table in catalog.base_tables(cur):
        if (table.schema, table.name) == AUDIT_TABLE or not table.text_columns:
            continue
        if (table.schema, table.name) == ("raw_app", "quarantine"):
            continue  # handled by _purge_quarantine
        sets, wheres = [], []
        for column, kind in table.text_columns:
            ident = sql.Identifier(column)
            as_text = sql.SQL("{}::text").format(ident) if kind in ("json", "jsonb") else ident
            replaced = sql.SQL("regexp_replace({}, %(pattern)s, %(mask)s, 'gi')").format(as_text)
            if kind in ("json", "jsonb"):
                replaced = sql.SQL("({})::{}").format(replaced, sql.SQL(kind))
            sets.append(
                sql.SQL(
                    "{col} = case when {txt} ilike any(%(likes)s) then {rep} else {col} end"
                ).format(col=ident, txt=as_text, rep=replaced)
            )
            wheres.append(sql.SQL("{} ilike any(%(likes)s)").format(as_text))
        statement = sql.SQL("update {t} set {sets} where {where}").format(
            t=sql.Identifier(table.schema, table.name),
            sets=sql.SQL(", ").join(sets),
            where=sql.SQL(" or ").join(wheres),
        )
        cur.execute(statement, {"pattern": pattern, "mask": REDACTED, "likes": likes})
        if cur.rowcount:
            counts[f"{table.schema}.{table.name}"] = cur.rowcount
    return counts


def _purge_quarantine(cur: psycopg2.extensions.cursor, subject: subjects.Subject) -> int:
    needles = subject.pii_values() + [subject.customer_id]
    cur.execute(
        """
        delete from raw_app.quarantine
        where (shop_domain = %s or shop_domain is null) and raw_text ilike any(%s)
        """,
        (subject.shop_domain, [f"%{v}%" for v in needles]),
    )
    return cur.rowcount


def redact_customer(
    conn: psycopg2.extensions.connection,
    shop_domain: str,
    customer_id: str | int,
    actor: str,
    emails: tuple[str, ...] = (),
    phones: tuple[str, ...] = (),
    order_ids: tuple[str | int, ...] = (),
    requested_at: datetime | None = None,
    commit: bool = True,
) -> dict[str, int]:
    """Remove the customer's PII from raw payloads and every table, durably. One transaction.

    The customer is added to raw_app.redactions (staging and the raw trigger honour it), raw
    payloads are scrubbed by the trigger, the customer's values are masked in every other table
    (marts, intermediate, state), quarantined records and earlier exports are deleted.
    Returns rows touched per table; the audit row records the same counts.
    """
    with conn.cursor() as cur:
        subject = subjects.find(cur, shop_domain, customer_id, emails, phones, order_ids)
        values = subject.pii_values()
        _record_subject(cur, subject)
        counts = _scrub_raw(cur, shop_domain)
        counts["raw_app.quarantine (deleted)"] = _purge_quarantine(cur, subject)
        counts["raw_app.privacy_exports (deleted)"] = exports.delete_for(
            cur, shop_domain, subject.customer_id
        )
        for name, count in _scrub_everywhere(cur, values, shop_domain).items():
            counts[name] = counts.get(name, 0) + count
        counts = {k: v for k, v in counts.items() if v}
        audit.record(
            cur, "redact_customer", shop_domain, subject.customer_id, actor, counts, requested_at
        )
    if commit:
        conn.commit()
    log.info("redacted customer %s of %s: %s", subject.customer_id, shop_domain, counts)
    return counts


def redact_shop(
    conn: psycopg2.extensions.connection,
    shop_domain: str,
    actor: str,
    requested_at: datetime | None = None,
    commit: bool = True,
) -> dict[str, int]:
    """Delete every row of the shop in every schema, and keep it out (by digest). One transaction.

    Earlier audit rows of the shop lose the domain; the new audit row names the shop only by
    ``sha256:<digest>``, so no row anywhere carries the domain afterwards.
    """
    digest = shop_digest(shop_domain)
    counts: dict[str, int] = {}
    with conn.cursor() as cur:
        cur.execute(
            "insert into raw_app.redacted_shops (shop_sha256) values (%s) on conflict do nothing",
            (digest,),
        )
        for table in catalog.base_tables(cur):
            if (table.schema, table.name) == AUDIT_TABLE:
                continue
            conditions = []
            if table.has("shop_domain"):
                conditions.append(sql.SQL("shop_domain = %(shop)s"))
            if (table.schema, table.name) == ("raw_app", "webhook_events"):
                conditions.append(sql.SQL("payload ->> 'shop_domain' = %(shop)s"))
            if not conditions:
                continue
            cur.execute(
                sql.SQL("delete from {} where {}").format(
                    sql.Identifier(table.schema, table.name), sql.SQL(" or ").join(conditions)
                ),
                {"shop": shop_domain},
            )
            if cur.rowcount:
                counts[f"{table.schema}.{table.name}"] = cur.rowcount
        cur.execute(
            "update raw_app.privacy_audit_log set shop_domain = null where shop_domain = %s",
            (shop_domain,),
        )
        # Access to the shop (migration 0006): mappings go, the grant log keeps only the digest.
        cur.execute("delete from security.tenant_shops where shop_domain = %s", (shop_domain,))
        if cur.rowcount:
            counts["security.tenant_shops"] = cur.rowcount
        cur.execute(
            "update raw_app.access_grant_log set shops = array_replace(shops, %s, %s)"
            " where %s = any(shops)",
            (shop_domain, f"sha256:{digest}", shop_domain),
        )
        exports.delete_files_for_shop(shop_domain)
        audit.record(cur, "redact_shop", None, f"sha256:{digest}", actor, counts, requested_at)
    if commit:
        conn.commit()
    log.info("redacted shop sha256:%s: %d rows deleted", digest[:12], sum(counts.values()))
    return counts
