"""Landing into the raw tables: batched idempotent upserts, quarantine, state, ledger.

A batch is COPYed into a temp table and merged with one ``insert ... on conflict`` that only
replaces a stored payload with a newer (or equally new but different) one. The caller commits
the batch together with the extract state, so a killed run resumes without gaps or duplicates.

A shop's first landing into a table (``insert_new``: nothing of the shop stored yet, e.g. a first
bulk load) COPYs straight into the table instead, inside a savepoint: the table's primary key
refuses a row already there (landed by a webhook meanwhile, or returned twice by the API), and
the batch then goes through the merge after all. Same rows either way, a fifth less PostgreSQL
work per row.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg2.errors
import psycopg2.extensions
from psycopg2 import sql
from psycopg2.extras import Json, execute_values

from extractors.records import Row

_TEMP = "hotrod_land"
COPY_CHUNK = 1 << 20  # bytes handed to psycopg2 at a time (its default, 8 KiB, costs more)


def _copy_escape(text: str) -> str:
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _copy_text(rows: Sequence[Row], encoding: str, lead: Sequence[str] = ()) -> io.BytesIO:
    """The rows as COPY text in the connection's ``encoding``: the ``lead`` values (the same on
    every line), then id, updated_at and payload. Made in one piece and checked as a whole: when
    it holds exactly the tabs and newlines that separate its fields and lines (no field holds
    one; compact JSON never does) and no carriage return, its backslashes are doubled in one
    ``replace``; otherwise it is made again with every field escaped on its own. Handed on as
    bytes: psycopg2 sends them as they are, where a ``StringIO`` costs ten times as much CPU
    (its text held four bytes a character, then encoded a piece at a time)."""
    prefix = "".join([f"{value}\t" for value in lead])
    text = "".join([f"{prefix}{r.id}\t{r.updated_at.isoformat()}\t{r.payload}\n" for r in rows])
    separators = text.count("\t") != (len(lead) + 2) * len(rows) or text.count("\n") != len(rows)
    if separators or "\r" in text:
        prefix = "".join([f"{_copy_escape(value)}\t" for value in lead])
        text = "".join(
            f"{prefix}{_copy_escape(r.id)}\t{r.updated_at.isoformat()}\t{_copy_escape(r.payload)}\n"
            for r in rows
        )
    elif "\\" in text:  # the timestamps hold none
        text = text.replace("\\", "\\\\")
    return io.BytesIO(text.encode(encoding))


def _encoding(cur: psycopg2.extensions.cursor) -> str:
    """The Python codec of the connection's client encoding (UTF8 as a rule)."""
    return psycopg2.extensions.encodings.get(cur.connection.encoding, "utf-8")


def _dedupe(rows: Iterable[Row]) -> list[Row]:
    """One row per id (an upsert cannot touch a row twice): the newest, later wins ties."""
    newest: dict[str, Row] = {}
    for row in rows:
        current = newest.get(row.id)
        if current is None or row.updated_at >= current.updated_at:
            newest[row.id] = row
    return list(newest.values())


def upsert_rows(
    cur: psycopg2.extensions.cursor,
    table: str,
    shop_domain: str,
    batch_id: str,
    rows: Sequence[Row],
    first_seen: bool = False,
    same_time_replaces: bool = True,
) -> tuple[int, int]:
    """Merge rows into ``schema.table``; returns (inserted, updated). Does not commit.

    ``first_seen``: the source has no timestamps (Chatwoot agents/inboxes); a stored row is
    replaced only when the payload differs, keeping its first-sight time otherwise.
    ``same_time_replaces=False``: only a strictly newer row replaces a stored one (a webhook's
    partial view of a record never overwrites what the API returned for the same moment).
    """
    if not rows:
        return 0, 0
    unique = _dedupe(rows)
    cur.execute(  # one round trip
        f"create temp table if not exists {_TEMP} (id text, updated_at timestamptz, payload jsonb);"
        f" truncate {_TEMP}"
    )
    cur.copy_expert(
        f"copy {_TEMP} (id, updated_at, payload) from stdin",
        _copy_text(unique, _encoding(cur)),
        COPY_CHUNK,
    )
    if first_seen:
        condition = "excluded.payload is distinct from t.payload"
    elif not same_time_replaces:
        condition = "excluded.updated_at > t.updated_at"
    else:
        condition = (
            "excluded.updated_at > t.updated_at or (excluded.updated_at = t.updated_at "
            "and excluded.payload is distinct from t.payload)"
        )
    schema, name = table.split(".")
    statement = sql.SQL(
        """
        with merged as (
            insert into {table} as t (shop_domain, id, updated_at, payload, extracted_at, batch_id)
            select %s, id, updated_at, payload, now(), %s from {temp}
            on conflict (shop_domain, id) do update set
                updated_at = excluded.updated_at,
                payload = excluded.payload,
                extracted_at = excluded.extracted_at,
                batch_id = excluded.batch_id
            where {condition}
            returning (xmax = 0) as inserted
        )
        select count(*) filter (where inserted), count(*) filter (where not inserted) from merged
        """
    ).format(
        table=sql.Identifier(schema, name),
        temp=sql.Identifier(_TEMP),
        condition=sql.SQL(condition),
    )
    cur.execute(statement, (shop_domain, batch_id))
    inserted, updated = cur.fetchone()
    return int(inserted), int(updated)


def insert_new(
    cur: psycopg2.extensions.cursor,
    table: str,
    shop_domain: str,
    batch_id: str,
    rows: Sequence[Row],
) -> int | None:
    """COPY rows expected to be new straight into ``schema.table`` (see the module's
    docstring); how many, or None (and nothing landed) when the table holds one of them
    already: merge them with ``upsert_rows`` then. Does not commit."""
    if not rows:
        return 0
    unique = _dedupe(rows)
    schema, name = table.split(".")
    copy = sql.SQL(
        "copy {table} (shop_domain, batch_id, id, updated_at, payload) from stdin"
    ).format(table=sql.Identifier(schema, name))
    text = _copy_text(unique, _encoding(cur), (shop_domain, batch_id))
    cur.execute("savepoint hotrod_insert_new")
    try:
        cur.copy_expert(copy.as_string(cur), text, COPY_CHUNK)
    except psycopg2.errors.UniqueViolation:
        cur.execute("rollback to savepoint hotrod_insert_new")
        return None
    cur.execute("release savepoint hotrod_insert_new")
    return len(unique)


def holds_shop(cur: psycopg2.extensions.cursor, table: str, shop_domain: str) -> bool:
    """Does ``schema.table`` hold any row of ``shop_domain`` (deleted ones included)?"""
    schema, name = table.split(".")
    cur.execute(
        sql.SQL("select exists (select 1 from {table} where shop_domain = %s)").format(
            table=sql.Identifier(schema, name)
        ),
        (shop_domain,),
    )
    return bool(cur.fetchone()[0])


def mark_missing(
    cur: psycopg2.extensions.cursor,
    table: str,
    shop_domain: str,
    seen: Iterable[str],
    as_of: str,
    chunk: int = 50_000,
) -> int:
    """Mark deleted (``deleted_at = as_of``) the rows of ``shop_domain`` that a complete full read
    taken at ``as_of`` did not return; returns how many. Does not commit.

    Only rows last changed at or before ``as_of`` are marked (a record created or changed after
    the read began, e.g. landed by a webhook meanwhile, is not in it and is not deleted); rows
    already marked keep their first mark. ``seen`` (every id the read returned) streams through
    a temp table in chunks, so memory stays bounded whatever the size of the read."""
    cur.execute("create temp table if not exists hotrod_seen (id text)")
    cur.execute("truncate hotrod_seen")
    buffer: list[str] = []
    for record_id in seen:
        buffer.append(_copy_escape(record_id) + "\n")
        if len(buffer) >= chunk:
            cur.copy_expert("copy hotrod_seen (id) from stdin", io.StringIO("".join(buffer)))
            buffer.clear()
    if buffer:
        cur.copy_expert("copy hotrod_seen (id) from stdin", io.StringIO("".join(buffer)))
    cur.execute("analyze hotrod_seen")
    schema, name = table.split(".")
    cur.execute(
        sql.SQL(
            """
            update {table} as t set deleted_at = %s::timestamptz
            where t.shop_domain = %s and t.deleted_at is null and t.updated_at <= %s::timestamptz
              and not exists (select 1 from hotrod_seen s where s.id = t.id)
            """
        ).format(table=sql.Identifier(schema, name)),
        (as_of, shop_domain, as_of),
    )
    marked = int(cur.rowcount)
    cur.execute("truncate hotrod_seen")
    return marked


def quarantine(
    cur: psycopg2.extensions.cursor,
    source: str,
    entity: str,
    shop_domain: str | None,
    batch_id: str | None,
    items: Sequence[tuple[str, str]],
) -> int:
    """Store (reason, raw text) pairs in raw_app.quarantine. Does not commit."""
    if not items:
        return 0
    execute_values(
        cur,
        "insert into raw_app.quarantine (source, entity, shop_domain, batch_id, reason, raw_text) "
        "values %s",
        [
            (source, entity, shop_domain, batch_id, reason, raw.replace("\x00", "\\u0000"))
            for reason, raw in items
        ],
    )
    return len(items)


def load_state(
    cur: psycopg2.extensions.cursor, source: str, shop_domain: str, entity: str
) -> dict[str, Any]:
    cur.execute(
        "select state from raw_app.extract_state "
        "where source = %s and shop_domain = %s and entity = %s",
        (source, shop_domain, entity),
    )
    row = cur.fetchone()
    return dict(row[0]) if row else {}


def save_state(
    cur: psycopg2.extensions.cursor,
    source: str,
    shop_domain: str,
    entity: str,
    state: dict[str, Any],
) -> None:
    """Write the extract state (in the caller's transaction, next to the batch it describes)."""
    cur.execute(
        """
        insert into raw_app.extract_state (source, shop_domain, entity, state, updated_at)
        values (%s, %s, %s, %s, now())
        on conflict (source, shop_domain, entity)
        do update set state = excluded.state, updated_at = excluded.updated_at
        """,
        (source, shop_domain, entity, Json(state)),
    )


def drop_state(cur: psycopg2.extensions.cursor, source: str, shop_domain: str, entity: str) -> None:
    """Delete an extract state row (in the caller's transaction)."""
    cur.execute(
        "delete from raw_app.extract_state where source = %s and shop_domain = %s and entity = %s",
        (source, shop_domain, entity),
    )
