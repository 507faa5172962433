"""Reads of the contract by operator roles, from the server's own CSV log, into the warehouse.

The server logs every statement of the tenant login roles and of the gateway role (role-level
``log_statement = 'all'``, set by ``hotrod access grant`` and migration 0006) into its CSV log
(``log_destination`` including ``csvlog``, ``logging_collector = on``). This module reads the
log through SQL (``pg_ls_logdir``, ``pg_read_binary_file``: works whether the server is the
embedded one or on another host), keeps the lines of this database from operator roles, and
lands one row per (line, contract relation it names) in ``raw_app.access_audit_log``. Each log
file is read from where the last run stopped (``raw_app.access_log_files``); a line lands once
(primary key: session id, line number, relation), so a rerun never duplicates.

The statement text is not kept: it can hold literals such as an e-mail address.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import psycopg2.errors
import psycopg2.extensions
from psycopg2.extras import execute_values

CHUNK = 16 * 1024 * 1024  # bytes read per call
ACCESS_LOG_RETENTION_DAYS = 180
# Columns that identify a person (customers, contacts, the actors of decisions). A relation with
# one of them is PII-bearing: reads of it are flagged.
PII_COLUMNS = frozenset(
    {
        "shopify_customer_id",
        "customer_id",
        "customer_email",
        "email",
        "phone",
        "customer_name",
        "first_name",
        "last_name",
        "display_name",
        "contact_id",
        "contact_name",
        "actor",
    }
)
# CSV log columns (Postgres 13+), by position.
LOG_TIME, USER_NAME, DATABASE_NAME, SESSION_ID, SESSION_LINE = 0, 1, 2, 5, 6
COMMAND_TAG, MESSAGE = 7, 13
# `statement: ...` (simple protocol) or `execute <name>: ...` (extended protocol).
STATEMENT = re.compile(r"^(?:statement|execute [^:]*): (.*)$", re.DOTALL)
LITERAL = re.compile(r"'(?:[^']|'')*'")
PART = re.compile(r'"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*')
DOTTED = re.compile(
    r'(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\s*\.\s*(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*))*'
)


class AccessLogError(RuntimeError):
    """The server log cannot be read (settings or privileges)."""


@dataclass(frozen=True)
class Readable:
    """A relation (or set-returning function) operator roles can read."""

    schema: str
    name: str
    pii: bool

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class Read:
    session_id: str
    session_line: int
    relation_name: str
    logged_at: str
    role_name: str
    command: str
    pii: bool
    log_file: str


def readable(cur: psycopg2.extensions.cursor) -> list[Readable]:
    """Every relation operator may SELECT and every function it may call, outside the system
    schemas and the security schema, with its PII flag."""
    cur.execute(
        """
        select n.nspname, c.relname,
               coalesce(bool_or(a.attname = any(%(pii)s)), false)
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where c.relkind in ('r', 'p', 'v', 'm', 'f')
          and n.nspname not in ('pg_catalog', 'information_schema', 'security')
          and n.nspname not like 'pg\\_%%'
          and has_table_privilege('operator', c.oid, 'select')
        group by 1, 2
        union all
        select n.nspname, p.proname,
               coalesce(array_to_string(p.proargnames, ',') ~ %(pattern)s, false)
        from pg_proc p
        join pg_namespace n on n.oid = p.pronamespace
        where n.nspname not in ('pg_catalog', 'information_schema', 'security')
          and n.nspname not like 'pg\\_%%'
          and has_function_privilege('operator', p.oid, 'execute')
        order by 1, 2
        """,
        {"pii": sorted(PII_COLUMNS), "pattern": r"\m(" + "|".join(sorted(PII_COLUMNS)) + r")\M"},
    )
    return [Readable(*row) for row in cur.fetchall()]


def audited_roles(cur: psycopg2.extensions.cursor) -> set[str]:
    """Login roles of operator (tenants, the gateway), and every role ever granted access."""
    cur.execute(
        """
        select r.rolname from pg_roles r
        where pg_has_role(r.oid, 'operator', 'MEMBER') and not r.rolsuper
          and r.rolname <> 'operator'
        union
        select role_name from raw_app.access_grant_log
        """
    )
    return {r[0] for r in cur.fetchall()}


def _identifier(part: str) -> str:
    part = part.strip()
    return part[1:-1] if part.startswith('"') else part.lower()


def relations_named(statement: str, relations: Iterable[Readable]) -> list[Readable]:
    """The readable relations a statement names (qualified, or by name alone)."""
    by_name: dict[str, list[Readable]] = {}
    for rel in relations:
        by_name.setdefault(rel.name, []).append(rel)
    found: dict[str, Readable] = {}
    for match in DOTTED.finditer(LITERAL.sub("''", statement)):
        parts = [_identifier(p) for p in PART.findall(match.group(0))]
        name = parts[-1]
        schema = parts[-2] if len(parts) > 1 else None
        for rel in by_name.get(name, []):
            if schema is None or rel.schema == schema:
                found[rel.qualified] = rel
    return [found[k] for k in sorted(found)]


def complete_records(data: bytes) -> int:
    """Length of the longest prefix of ``data`` made of whole CSV records (ends at a newline
    outside quotes)."""
    quotes = 0
    end = 0
    for i, byte in enumerate(data):
        if byte == 0x22:
            quotes += 1
        elif byte == 0x0A and quotes % 2 == 0:
            end = i + 1
    return end


def parse(
    text: str, log_file: str, database: str, roles: set[str], relations: list[Readable]
) -> Iterator[Read]:
    for record in csv.reader(io.StringIO(text)):
        if len(record) <= MESSAGE or record[DATABASE_NAME] != database:
            continue
        if record[USER_NAME] not in roles:
            continue
        statement = STATEMENT.match(record[MESSAGE])
        if statement is None:
            continue
        words = statement.group(1).split(None, 1)
        command = words[0].lower() if words else ""
        for rel in relations_named(statement.group(1), relations):
            yield Read(
                session_id=record[SESSION_ID],
                session_line=int(record[SESSION_LINE]),
                relation_name=rel.qualified,
                logged_at=record[LOG_TIME],
                role_name=record[USER_NAME],
                command=command,
                pii=rel.pii,
                log_file=log_file,
            )


def log_files(cur: psycopg2.extensions.cursor) -> list[tuple[str, int]]:
    """(name, size) of the server's CSV log files, oldest first."""
    cur.execute("select current_setting('log_destination'), current_setting('logging_collector')")
    destination, collector = cur.fetchone()
    if "csvlog" not in destination or collector != "on":
        raise AccessLogError(
            "the server writes no CSV log: set logging_collector = on and log_destination to"
            " include csvlog, then restart it (docs/security.md)"
        )
    try:
        cur.execute(
            "select name, size from pg_ls_logdir() where name like '%%.csv'"
            " order by modification, name"
        )
    except psycopg2.errors.InsufficientPrivilege as exc:
        raise AccessLogError(
            "the access audit cannot list the server log: grant pg_monitor and"
            " pg_read_server_files to the warehouse user (docs/security.md)"
        ) from exc
    return [(name, int(size)) for name, size in cur.fetchall()]


def ingest(conn: psycopg2.extensions.connection) -> dict[str, int]:
    """Land the new reads of every CSV log file; one transaction per file. Returns counts."""
    counts = {"files": 0, "bytes": 0, "reads": 0}
    with conn.cursor() as cur:
        cur.execute("select current_database(), current_setting('log_directory')")
        database, directory = cur.fetchone()
        files = log_files(cur)
        roles = audited_roles(cur)
        relations = readable(cur)
    conn.commit()
    for name, size in files:
        with conn, conn.cursor() as cur:
            cur.execute(
                "select bytes_read from raw_app.access_log_files where log_file = %s for update",
                (name,),
            )
            row = cur.fetchone()
            offset = int(row[0]) if row else 0
            if size < offset:  # the file was truncated and rewritten (log_truncate_on_rotation)
                offset = 0
            landed = 0
            while offset < size:
                data = _read(cur, f"{directory}/{name}", offset, min(CHUNK, size - offset))
                end = complete_records(data)
                if end == 0:
                    break
                text = data[:end].decode("utf-8", errors="replace")
                reads = list(parse(text, name, database, roles, relations))
                landed += _land(cur, reads)
                offset += end
                counts["bytes"] += end
            cur.execute(
                "insert into raw_app.access_log_files (log_file, bytes_read) values (%s, %s)"
                " on conflict (log_file) do update"
                " set bytes_read = excluded.bytes_read, updated_at = now()",
                (name, offset),
            )
            counts["files"] += 1
            counts["reads"] += landed
    return counts


def _read(cur: psycopg2.extensions.cursor, path: str, offset: int, length: int) -> bytes:
    try:
        cur.execute("select pg_read_binary_file(%s, %s, %s, true)", (path, offset, length))
    except psycopg2.errors.InsufficientPrivilege as exc:
        raise AccessLogError(
            "the access audit cannot read the server log: grant pg_read_server_files to the"
            " warehouse user (docs/security.md)"
        ) from exc
    return bytes(cur.fetchone()[0] or b"")


def _land(cur: psycopg2.extensions.cursor, reads: list[Read]) -> int:
    if not reads:
        return 0
    execute_values(
        cur,
        """
        insert into raw_app.access_audit_log (session_id, session_line, relation_name,
            logged_at, role_name, command, pii, log_file)
        values %s
        on conflict do nothing
        """,
        [
            (
                r.session_id,
                r.session_line,
                r.relation_name,
                r.logged_at,
                r.role_name,
                r.command,
                r.pii,
                r.log_file,
            )
            for r in reads
        ],
        page_size=len(reads),
    )
    return max(cur.rowcount, 0)


def prune(conn: psycopg2.extensions.connection, days: int = ACCESS_LOG_RETENTION_DAYS) -> int:
    """Drop audit rows older than the retention (180 days)."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "delete from raw_app.access_audit_log where logged_at < now() - %s::interval",
            (f"{days} days",),
        )
        return cur.rowcount
