"""One entity being landed for one shop: stages batches, writes state, commits, counts."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import psycopg2.extensions

from extractors import landing
from extractors.http import CallStats
from extractors.ledger import LedgerRow
from extractors.progress import Progress
from extractors.records import Row

CommitHook = Callable[["EntityLoad"], None]


class EntityLoad:
    """Counters and transactional landing for (source, shop, entity) within one run.

    Several loads may share one connection (Chatwoot conversations and their messages commit
    together). Nothing is visible until ``commit``; state saved before commit goes with it.
    """

    def __init__(
        self,
        conn: psycopg2.extensions.connection,
        ledger: LedgerRow,
        table: str,
        stats: CallStats,
        progress: Progress,
        first_seen: bool = False,
        on_commit: CommitHook | None = None,
    ) -> None:
        self.conn = conn
        self.cur = conn.cursor()
        self.ledger = ledger
        self.table = table
        self.stats = stats
        self.progress = progress
        self.first_seen = first_seen
        self.on_commit = on_commit
        self.commits = 0
        self._t0 = time.monotonic()
        # the shop's first landing into the table: rows COPYed straight in while none of them
        # is there already (landing.insert_new); None until the first batch looks
        self._new_rows: bool | None = None
        # the extract state's key: the entity's, or one part's of a read split in parts
        self.state_entity = ledger.entity

    @property
    def source(self) -> str:
        return self.ledger.source

    @property
    def shop(self) -> str:
        return self.ledger.shop_domain

    def state(self) -> dict[str, Any]:
        return landing.load_state(self.cur, self.source, self.shop, self.state_entity)

    def holds_rows(self) -> bool:
        """Does the raw table hold any row of this shop already?"""
        return landing.holds_shop(self.cur, self.table, self.shop)

    def part(self, state_entity: str, new_rows: bool | None = None) -> EntityLoad:
        """This load for one part of a read split in parts: the same connection, ledger row and
        counters, its own extract state (``state_entity``); ``new_rows`` True when none of the
        shop's rows was in the table as the split read began."""
        view = copy.copy(self)
        view.state_entity = state_entity
        view._new_rows = new_rows
        return view

    def drop_state(self, state_entity: str) -> None:
        """Remove another key's extract state (a finished part's), in this transaction."""
        landing.drop_state(self.cur, self.source, self.shop, state_entity)

    def land(self, rows: Sequence[Row], bad: Sequence[tuple[str, str]] = ()) -> None:
        inserted, updated = self._upsert(rows)
        quarantined = landing.quarantine(
            self.cur, self.source, self.ledger.entity, self.shop, self.ledger.batch_id, bad
        )
        self.ledger.rows_read += len(rows) + len(bad)
        self.ledger.rows_inserted += inserted
        self.ledger.rows_updated += updated
        self.ledger.rows_quarantined += quarantined
        self.progress.add(len(rows) + len(bad))

    def _upsert(self, rows: Sequence[Row]) -> tuple[int, int]:
        """(inserted, updated): COPYed straight in while the shop's rows are all new to the
        table, else (and from the first batch that is not) merged."""
        batch_id = self.ledger.batch_id
        if rows and self._new_rows is None:
            self._new_rows = not self.holds_rows()
        if rows and self._new_rows:
            inserted = landing.insert_new(self.cur, self.table, self.shop, batch_id, rows)
            if inserted is not None:
                return inserted, 0
            self._new_rows = False
        return landing.upsert_rows(self.cur, self.table, self.shop, batch_id, rows, self.first_seen)

    def mark_missing(self, seen: Iterable[str], as_of: str) -> int:
        """After a complete full read taken at ``as_of``: mark deleted the rows it did not
        return (``landing.mark_missing``); counted as updates and noted in the ledger."""
        marked = landing.mark_missing(self.cur, self.table, self.shop, seen, as_of)
        self.ledger.rows_updated += marked
        if marked:
            self.note(f"{marked} missing from the full read marked deleted")
        return marked

    def note(self, text: str) -> None:
        """Add a note to this load's ledger row (``; ``-separated)."""
        self.ledger.notes = f"{self.ledger.notes}; {text}" if self.ledger.notes else text

    def save(self, state: dict[str, Any]) -> None:
        landing.save_state(self.cur, self.source, self.shop, self.state_entity, state)

    def commit(self) -> None:
        self.conn.commit()
        self.commits += 1
        if self.on_commit is not None:
            self.on_commit(self)

    def finish(self, status: str = "ok", error: str | None = None) -> LedgerRow:
        from datetime import UTC, datetime

        row = self.ledger
        row.status = status
        row.error = error
        row.finished_at = datetime.now(UTC)
        row.duration_s = round(time.monotonic() - self._t0, 3)
        row.api_calls = self.stats.api_calls
        row.throttled_waits = self.stats.throttled_waits
        row.latency_p50_ms = self.stats.percentile(0.5)
        row.latency_p95_ms = self.stats.percentile(0.95)
        self.progress.done(status)
        return row
