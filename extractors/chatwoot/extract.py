"""Chatwoot extraction for one account (mapped to one shop).

Conversations (``status=all``, newest activity first) are read page by page. On increments paging
stops at the first page whose records are all older than the cursor minus the lookback. Messages
are re-read only for conversations whose stored row changed (inserted or updated) in this run,
and they are committed in the same transaction as that conversations page, so a killed run can
never lose a conversation's messages.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from extractors.chatwoot.client import ChatwootClient
from extractors.load import EntityLoad
from extractors.records import RecordError, Row, dumps, iso, make_row, parse_timestamp

MAX_PAGES = 100_000
MESSAGES_PAGE = 20  # Chatwoot answers 20 messages per page, newest first


def conversation_row(c: dict[str, Any]) -> Row:
    meta = c.get("meta")
    if isinstance(meta, dict) and "assignee" not in meta:
        # Chatwoot omits the key for unassigned conversations; the landed shape has null
        c = {**c, "meta": {**meta, "assignee": None}}
    stamp = c.get("updated_at") or c.get("last_activity_at")
    return make_row(c.get("id"), stamp, c, field="updated_at")


def message_row(m: dict[str, Any]) -> Row:
    return make_row(m.get("id"), m.get("updated_at") or m.get("created_at"), m, "updated_at")


def contact_row(c: dict[str, Any]) -> Row:
    return make_row(
        c.get("id"), c.get("last_activity_at") or c.get("created_at"), c, "last_activity_at"
    )


def first_seen_row(record: dict[str, Any], now: datetime) -> Row:
    return make_row(record.get("id"), now, record)


def _split(records: list[Any], to_row) -> tuple[list[Row], list[tuple[str, str]]]:
    rows: list[Row] = []
    bad: list[tuple[str, str]] = []
    for record in records:
        try:
            if not isinstance(record, dict):
                raise RecordError("record is not an object")
            rows.append(to_row(record))
        except RecordError as exc:
            bad.append((str(exc), dumps(record)))
    return rows, bad


def _activity(c: dict[str, Any]) -> datetime | None:
    stamps = []
    for key in ("last_activity_at", "updated_at", "timestamp"):
        try:
            stamps.append(parse_timestamp(c.get(key)))
        except RecordError:
            continue
    return max(stamps) if stamps else None


@dataclass
class _PageWork:
    """One conversations page on its way: its rows and the message reads it started."""

    records: list[Any]
    rows: list[Row]
    bad: list[tuple[str, str]]
    messages: list[Future[list[Any]]]


class ChatwootExtractor:
    def __init__(
        self,
        client: ChatwootClient,
        lookback: timedelta = timedelta(hours=1),
        workers: int = 8,
        window: int = 4,
    ) -> None:
        self.client = client
        self.lookback = lookback
        self.window = max(1, window)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chatwoot")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def conversations(
        self, conv: EntityLoad, msgs: EntityLoad, full: bool = False, since: str | None = None
    ) -> None:
        """Conversation pages in order; each page lands and commits with all its messages.

        Up to ``window`` pages are in flight at once: their lists and the message reads of their
        changed conversations run in the pool while an earlier page lands. Pages read past the
        point where an increment stops are discarded unlanded.
        """
        state = conv.state()
        cursor_text = since or (None if full else state.get("cursor"))
        floor = parse_timestamp(cursor_text) - self.lookback if cursor_text else None
        conv.ledger.mode = msgs.ledger.mode = "incremental" if floor else "full"
        cursor = state.get("cursor")
        lists: deque[Future[list[Any]]] = deque()
        started: deque[_PageWork] = deque()
        next_page, stop = 1, False
        try:
            while not stop:
                while len(lists) < self.window and next_page < MAX_PAGES:
                    lists.append(self._pool.submit(self.client.conversations_page, next_page))
                    next_page += 1
                records = lists.popleft().result() if lists else []
                if not records:
                    break
                started.append(self._start_page(conv, records, full))
                if len(started) >= self.window:
                    cursor, stop = self._finish_page(
                        conv, msgs, state, started.popleft(), cursor, floor
                    )
            while started and not stop:
                cursor, stop = self._finish_page(
                    conv, msgs, state, started.popleft(), cursor, floor
                )
        finally:
            for future in [*lists, *(f for work in started for f in work.messages)]:
                future.cancel()
        msgs.save({"cursor": cursor})
        msgs.commit()

    def _start_page(self, conv: EntityLoad, records: list[Any], full: bool) -> _PageWork:
        rows, bad = _split(records, conversation_row)
        changed = self._changed(conv, rows) if not full else {r.id for r in rows}
        wanted = [row.id for row in rows if row.id in changed]
        futures = [self._pool.submit(self._fetch_messages, cid) for cid in wanted]
        return _PageWork(records, rows, bad, futures)

    def _finish_page(
        self,
        conv: EntityLoad,
        msgs: EntityLoad,
        state: dict[str, Any],
        work: _PageWork,
        cursor: str | None,
        floor: datetime | None,
    ) -> tuple[str | None, bool]:
        """Land one page and its messages in one transaction; (new cursor, stop paging) back."""
        got: list[Row] = []
        rejected: list[tuple[str, str]] = []
        for future in work.messages:
            rows, bad = _split(future.result(), message_row)
            got.extend(rows)
            rejected.extend(bad)
        conv.land(work.rows, work.bad)
        msgs.land(got, rejected)
        for row in work.rows:
            if cursor is None or row.updated_at > parse_timestamp(cursor):
                cursor = iso(row.updated_at)
        conv.save({**state, "cursor": cursor})
        conv.commit()
        if floor is None:
            return cursor, False
        activity = [_activity(r) for r in work.records if isinstance(r, dict)]
        return cursor, all(a is not None and a < floor for a in activity)

    def _changed(self, conv: EntityLoad, rows: list[Row]) -> set[str]:
        """Ids whose stored row is missing or differs (their messages need re-reading)."""
        if not rows:
            return set()
        conv.cur.execute(
            "select id, updated_at, payload::text from raw_chatwoot.conversations "
            "where shop_domain = %s and id = any(%s)",
            (conv.shop, [r.id for r in rows]),
        )
        stored = {rid: (upd, payload) for rid, upd, payload in conv.cur.fetchall()}
        changed = set()
        for row in rows:
            have = stored.get(row.id)
            if (
                have is None
                or row.updated_at > have[0]
                or (row.updated_at == have[0] and _canon(row.payload) != _canon(have[1]))
            ):
                changed.add(row.id)
        return changed

    def _fetch_messages(self, conversation_id: str) -> list[Any]:
        """Every message of one conversation (pages of 20, newest first, ``before`` the oldest)."""
        out: list[Any] = []
        before = None
        seen: set[Any] = set()
        while True:
            records = self.client.messages_page(conversation_id, before)
            fresh = [m for m in records if not isinstance(m, dict) or m.get("id") not in seen]
            out.extend(fresh)
            ids = [m.get("id") for m in fresh if isinstance(m, dict) and m.get("id") is not None]
            seen.update(ids)
            numeric = [i for i in ids if isinstance(i, int)]
            if not numeric or len(records) < MESSAGES_PAGE:
                return out
            before = min(numeric)

    def contacts(self, load: EntityLoad, window: int = 8) -> None:
        """Every contact page; ``window`` pages are fetched at once and landed in order."""
        load.ledger.mode = "full"
        for first in range(1, MAX_PAGES, window):
            pages = list(self._pool.map(self.client.contacts_page, range(first, first + window)))
            done = False
            rows: list[Row] = []
            bad: list[tuple[str, str]] = []
            for records in pages:
                if not records:
                    done = True
                    break
                got, rejected = _split(records, contact_row)
                rows.extend(got)
                bad.extend(rejected)
            load.land(rows, bad)
            load.save({"page": first + window - 1})
            load.commit()
            if done:
                break
        load.save({"complete_at": iso(datetime.now(UTC))})
        load.commit()

    def static(self, load: EntityLoad, records: list[dict[str, Any]]) -> None:
        """Agents/inboxes: no timestamps; stored rows change only when the payload changes."""
        load.ledger.mode = "full"
        now = datetime.now(UTC)
        rows, bad = _split(records, lambda r: first_seen_row(r, now))
        load.land(rows, bad)
        load.save({"complete_at": iso(now)})
        load.commit()


def _canon(payload_text: str) -> Any:
    from extractors.records import loads

    return loads(payload_text)
