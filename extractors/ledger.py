"""The load ledger: one row per run (batch id), source, shop and entity."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from warehouse.connection import connection
from warehouse.settings import DatabaseUrl


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

    def as_dict(self) -> dict:
        return asdict(self)


_COLUMNS = tuple(LedgerRow.__dataclass_fields__)


def write(url: DatabaseUrl, row: LedgerRow) -> None:
    """Insert or update the ledger row (its own short transaction)."""
    values = row.as_dict()
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
