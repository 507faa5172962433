"""The privacy audit trail: one row per action in raw_app.privacy_audit_log."""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Any

import psycopg2.extensions
from psycopg2.extras import Json


def cli_actor() -> str:
    """The actor recorded for a command-line action."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def record(
    cur: psycopg2.extensions.cursor,
    action: str,
    shop_domain: str | None,
    subject: str,
    actor: str,
    counts: dict[str, int],
    requested_at: datetime | None = None,
    status: str = "done",
    detail: str | None = None,
) -> int:
    """Insert one audit row (in the caller's transaction); returns its id."""
    cur.execute(
        """
        insert into raw_app.privacy_audit_log
            (action, shop_domain, subject, actor, requested_at, status, counts, detail)
        values (%s, %s, %s, %s, %s, %s, %s, %s)
        returning audit_id
        """,
        (action, shop_domain, subject, actor, requested_at, status, Json(counts), detail),
    )
    return int(cur.fetchone()[0])


def recent(cur: psycopg2.extensions.cursor, limit: int = 20) -> list[dict[str, Any]]:
    cur.execute(
        """
        select audit_id, action, shop_domain, subject, actor, performed_at, status, counts
        from raw_app.privacy_audit_log order by audit_id desc limit %s
        """,
        (limit,),
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
