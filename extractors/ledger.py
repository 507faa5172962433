"""The load ledger: one row per run (batch id), source, shop and entity.

A run marks its rows ``running`` when it starts and ``ok`` / ``failed`` when it ends. A run that
was killed cannot close its rows: the next run of the same entity closes them as
``interrupted`` (``claim``), and resumes the work from the extract state.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import psycopg2.extensions
from psycopg2 import errors

from extractors.errors import ExtractError, redact
from warehouse.connection import connection
from warehouse.settings import DatabaseUrl

CLAIM_WAIT_S = 60  # how long a run waits for another run of the same entity to let go
INTERRUPTED = (
    "interrupted: the run stopped before finishing (killed or crashed); "
    "a later run resumed from the saved progress"
)


@dataclass
class LedgerRow:
    batch_id: str
    source: str
    shop_domain: str
    entity: str
    mode: str  # bulk | incremental | full | webhook
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    status: str = "running"
    rows_read: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_quarantined: int = 0
    api_calls: int = 0
    throttled_waits: int = 0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    duration_s: float | None = None
    error: str | None = None
    notes: str | None = None  # noticed without failing (GA4: thresholded, sampled, quota low)

    def as_dict(self) -> dict:
        return asdict(self)


_COLUMNS = tuple(LedgerRow.__dataclass_fields__)


def write(url: DatabaseUrl, row: LedgerRow) -> None:
    """Insert or update the ledger row (its own short transaction)."""
    values = row.as_dict()
    if values["error"]:
        values["error"] = redact(values["error"])  # a URL's password is never stored
    cols = ", ".join(_COLUMNS)
    marks = ", ".join(f"%({c})s" for c in _COLUMNS)
    updates = ", ".join(
        f"{c} = excluded.{c}"
        for c in _COLUMNS
        if c not in ("batch_id", "source", "shop_domain", "entity")
    )
    with connection(url) as conn, conn.cursor() as cur:
        cur.execute(
            f"insert into raw_app.load_ledger ({cols}) values ({marks}) "
            f"on conflict (batch_id, source, shop_domain, entity) do update set {updates}",
            values,
        )


def claim(conn: psycopg2.extensions.connection, row: LedgerRow, wait_s: int = CLAIM_WAIT_S) -> int:
    """Take (source, shop, entity) for this run and close earlier runs' stale rows.

    The claim is a session-level advisory lock on ``conn``: it lasts until the connection
    closes, so it is released by a finished run and by a killed one alike (when its connection
    drops). Holding it, any other ``running`` row of the entity belongs to a run that is gone:
    it is closed as ``interrupted``. Returns how many rows were closed. Waits up to ``wait_s``
    for a live run of the same entity, then raises ExtractError naming it.
    """
    key = f"hotrod-extract:{row.source}:{row.shop_domain}:{row.entity}"
    with conn.cursor() as cur:
        try:
            cur.execute(f"set local lock_timeout = '{int(wait_s)}s'")
            cur.execute("select pg_advisory_lock(hashtextextended(%s, 0))", (key,))
        except errors.LockNotAvailable:
            conn.rollback()
            raise ExtractError(
                f"{row.source}/{row.entity} of {row.shop_domain} is being extracted by another "
                f"run (still running after {wait_s}s): let it finish or stop it, then rerun"
            ) from None
        cur.execute(
            """
            update raw_app.load_ledger
            set status = 'interrupted',
                finished_at = coalesce(finished_at, now()),
                error = coalesce(error, %s)
            where source = %s and shop_domain = %s and entity = %s
              and status = 'running' and batch_id <> %s
            """,
            (INTERRUPTED, row.source, row.shop_domain, row.entity, row.batch_id),
        )
        closed = cur.rowcount
    conn.commit()
    return closed


def unfinished(url: DatabaseUrl, source: str) -> set[str]:
    """Entities of ``source`` whose last run, for some shop, did not end ``ok`` (failed, killed,
    or still marked running): a rerun takes them first, so what an earlier run left undone is
    repaired before anything else."""
    with connection(url) as conn, conn.cursor() as cur:
        cur.execute(
            """
            select entity from (
                select distinct on (shop_domain, entity) entity, status
                from raw_app.load_ledger
                where source = %s
                order by shop_domain, entity, started_at desc
            ) last_runs
            where status <> 'ok'
            """,
            (source,),
        )
        return {entity for (entity,) in cur.fetchall()}
