"""GA4 report rows into raw_ga4 (one table per report), incrementally by date with a lookback.

GA revises the last ~72 hours (late hits, attribution), so each increment re-reads from the last
landed day minus ``lookback_days`` through today (property time zone: GA resolves ``today`` and
``NdaysAgo`` itself). A first load reads ``first_days`` back. Pages (``limit``/``offset``, ordered
by every dimension) commit one by one; the cursor (last landed day) moves when the range is
done, so a killed run re-reads the same range and the upsert lands each row once.

Each response's ``propertyQuota`` is read: the lowest remaining share of a token quota is kept in
the state and, under ``QUOTA_LOW``, noted in the ledger; thresholded or sampled answers are noted
in the ledger too (and kept on every row).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from google.analytics.data_v1beta.types import PropertyQuota

from extractors.ga4 import report
from extractors.ga4.client import Ga4Client
from extractors.load import EntityLoad
from extractors.records import RecordError, Row, dumps

log = logging.getLogger(__name__)
LOOKBACK_DAYS = 3
FIRST_DAYS = 90  # a first load reaches this far back (`--since` reaches further)
QUOTA_LOW = 0.1  # note in the ledger when a token quota has less than this share left


class Ga4Extractor:
    def __init__(
        self,
        client: Ga4Client,
        spec: report.Report,
        property_id: str,
        lookback_days: int = LOOKBACK_DAYS,
        first_days: int = FIRST_DAYS,
        page_rows: int = report.PAGE_ROWS,
    ) -> None:
        self.client = client
        self.spec = spec
        self.property_id = property_id
        self.lookback_days = lookback_days
        self.first_days = first_days
        self.page_rows = page_rows

    def date_range(self, state: dict[str, Any], full: bool, since: str | None) -> str:
        """The start date of this run (the end is always ``today``)."""
        if since:
            return datetime.fromisoformat(since).date().isoformat()
        through = state.get("through")
        if full or not through:
            return f"{self.first_days}daysAgo"
        start = date.fromisoformat(through) - timedelta(days=self.lookback_days)
        return start.isoformat()

    def extract(self, load: EntityLoad, full: bool = False, since: str | None = None) -> None:
        state = load.state()
        start = self.date_range(state, full, since)
        load.ledger.mode = "full" if start.endswith("daysAgo") else "incremental"
        through: str | None = state.get("through")
        notes: set[str] = set()
        quota_left: float | None = None
        offset = 0
        while True:
            response = self.client.run_report(
                report.request(self.spec, self.property_id, start, "today", offset, self.page_rows)
            )
            flags = report.response_flags(response)
            notes |= _accuracy_notes(flags)
            share = _quota_left(response.property_quota)
            if share is not None:
                quota_left = share if quota_left is None else min(quota_left, share)
            rows, bad = self._rows(response, flags)
            load.land(rows, bad)
            days = [row.updated_at.date().isoformat() for row in rows]
            through = max([d for d in (through, *days) if d], default=None)
            offset += len(response.rows)
            if not response.rows or offset >= response.row_count:
                break
            load.commit()  # a page at a time; the cursor moves with the last one
        load.save({"through": through, "start": start, "rows": offset, "quota_left": quota_left})
        load.commit()
        if quota_left is not None and quota_left < QUOTA_LOW:
            notes.add(f"quota low: {quota_left:.0%} of a token quota left")
            log.warning(
                "GA4 property %s: %.0f%% of a token quota left", self.property_id, 100 * quota_left
            )
        load.ledger.notes = "; ".join(sorted(notes)) or None

    def _rows(
        self, response: Any, flags: dict[str, Any]
    ) -> tuple[list[Row], list[tuple[str, str]]]:
        rows: list[Row] = []
        bad: list[tuple[str, str]] = []
        for record in report.records(response, self.property_id):
            payload = {**record, **flags}
            try:
                rows.append(report.to_row(self.spec, payload))
            except RecordError as exc:
                bad.append((f"{self.spec.entity}: {exc}", dumps(payload)))
        return rows, bad


def _accuracy_notes(flags: dict[str, Any]) -> set[str]:
    notes = set()
    if flags["subject_to_thresholding"]:
        notes.add("thresholded: GA withheld rows of few users")
    if flags["sampled"]:
        notes.add("sampled: GA answered from a sample")
    if flags["data_loss_from_other_row"]:
        notes.add("(other) row: GA merged low-volume rows")
    return notes


def _quota_left(quota: PropertyQuota) -> float | None:
    """The lowest remaining share of the property's token quotas in this answer."""
    shares = []
    for status in (quota.tokens_per_day, quota.tokens_per_hour, quota.tokens_per_project_per_hour):
        total = status.consumed + status.remaining
        if total > 0:
            shares.append(status.remaining / total)
    return min(shares) if shares else None
