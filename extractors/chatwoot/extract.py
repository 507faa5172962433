"""Chatwoot extraction for one account (mapped to one shop), resumable at any point.

Conversations are read in *passes* over Chatwoot's list (``status=all``, newest activity first,
25 per page). Pages land in batches (consecutive pages up to ``batch_rows`` conversations and
messages): each batch in one transaction together with the messages of its changed conversations
and with the pass's progress (its last page), so a killed or failed run loses nothing: the next
run resumes the pass, re-reading the last landed page (a conversation moved up by new activity, or
a deleted one, shifts the list by a few places; the overlap keeps anything from slipping between
two pages).

- A first load (or ``--full``) is a pass over every page.
- An increment is a pass that stops after the first page whose conversations are all older than
  the high-water mark minus the lookback.
- The high-water mark (``cursor``: the newest activity a pass saw) moves only when a pass
  completes, so what an interrupted pass never reached is still inside the next pass's window.
  Conversations that move up during a pass have activity newer than the mark: the next pass
  reads them.

Messages are re-read only for conversations whose stored row changed. What a pass could not
land is read again by the next runs (up to ``REPAIR_ATTEMPTS`` times), never forgotten:

- a conversation whose messages included records that had to be quarantined is listed under
  ``repair``; its messages are read again first thing;
- a conversation record that had to be quarantined (no id, say) cannot be named, so its time is:
  ``behind`` is the oldest activity among them, and the next pass reaches back that far.

State (raw_app.extract_state, entity ``conversations``)::

    {"cursor": ISO | absent,                                  # high-water mark
     "pass": {"floor": ISO | null, "page": n, "max": ISO | null,
              "behind": ISO | null} | absent,                 # a pass under way
     "repair": {conversation id: attempts so far},
     "behind": {"at": ISO, "passes": n} | absent}

Contacts are read in passes too, 15 per page, ``window`` pages requested at once and landed in
order, about ``batch_rows`` contacts per transaction:

- A full pass reads every page of the unsorted list: a first load (no high-water mark yet),
  ``--full``, or when the last full pass completed ``HOTROD_CHATWOOT_CONTACTS_FULL_DAYS`` days
  ago or more (UTC dates; default 7, 0: every run).
- An increment reads the list newest activity first (``sort=-last_activity_at``; Chatwoot puts
  contacts without activity last) and stops after the first page whose contacts were all last
  active before the high-water mark (or ``since``) minus the lookback, or never (nothing newer
  follows them), or after an empty page. A record whose time cannot be read never stops it. A
  list that comes back out of that order (a server ignoring ``sort``) is read to its end, with
  a warning and a ledger note.
- The high-water mark (``cursor``: the newest ``last_activity_at`` a pass saw) and
  ``complete_at`` (when the last full pass completed) move only when a pass completes: a killed
  pass is read again from page 1 by the next run (an increment is a few pages). A contact that
  gains activity during a pass moves to page 1 after it was read; its activity is newer than
  the mark, so the next pass reads it.
- What an increment cannot see arrives by the ``contact_updated`` webhook
  (``chatwoot/webhooks.py``) and, at the latest, with the next full pass: edits that leave
  ``last_activity_at`` alone (an agent renames a contact, adds an email), a quarantined
  record, and a contact that slipped between two pages as the list shifted under the read (one
  deleted or merged above it, or one moving up between two pages requested together).

State (entity ``contacts``)::

    {"cursor": ISO | absent, "complete_at": ISO | absent}
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from extractors.chatwoot import access
from extractors.chatwoot.client import ChatwootClient
from extractors.chatwoot.shape import (
    activity,
    contact_activity,
    contact_row,
    conversation_row,
    csat_row,
    first_seen_row,
    message_row,
    split,
)
from extractors.errors import ApiError
from extractors.load import EntityLoad
from extractors.records import RecordError, Row, earlier, iso, later, loads, parse_timestamp
from extractors.settings import CONTACTS_FULL_DAYS

log = logging.getLogger(__name__)

MAX_PAGES = 100_000
MESSAGES_PAGE = 20  # Chatwoot answers 20 messages per page, newest first
CSAT_PAGE = 25  # CSAT survey responses per page (CsatSurveyResponsesController)
# contacts newest activity first (contact_sort_param; Chatwoot orders it NULLS LAST)
NEWEST_ACTIVITY_FIRST = "-last_activity_at"
REPAIR_ATTEMPTS = 3
# conversations and messages landed per transaction: consecutive pages are merged together (one
# COPY and merge per table instead of one per page); a killed run reads at most this again
BATCH_ROWS = 2000


@dataclass
class _PageWork:
    """One conversations page on its way: its rows and the message reads it started."""

    number: int
    records: list[Any]
    rows: list[Row]
    bad: list[tuple[str, str]]
    bad_since: datetime | None  # when records were quarantined: the page's oldest activity
    messages: list[tuple[str, Future[list[Any]]]]


@dataclass
class _Batch:
    """Consecutive pages read but not landed yet: they land in one transaction."""

    conversations: list[Row] = field(default_factory=list)
    conversations_bad: list[tuple[str, str]] = field(default_factory=list)
    messages: list[Row] = field(default_factory=list)
    messages_bad: list[tuple[str, str]] = field(default_factory=list)
    pages: int = 0

    def size(self) -> int:
        return (
            len(self.conversations)
            + len(self.conversations_bad)
            + len(self.messages)
            + len(self.messages_bad)
        )


class ChatwootExtractor:
    def __init__(
        self,
        client: ChatwootClient,
        lookback: timedelta = timedelta(hours=1),
        workers: int = 8,
        window: int = 4,
        batch_rows: int = BATCH_ROWS,
        contacts_full_days: int = CONTACTS_FULL_DAYS,
    ) -> None:
        self.client = client
        self.lookback = lookback
        self.contacts_full_days = contacts_full_days
        self.window = max(1, window)
        self.batch_rows = max(1, batch_rows)
        self._access_checked = False
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chatwoot")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def check_access(self) -> None:
        """Refuse a token that is not an administrator of the account (see ``access``): run
        before anything is landed, once per extractor."""
        if not self._access_checked:
            access.require_administrator(self.client.profile(), self.client.account_id)
            self._access_checked = True

    # --- conversations and their messages ----------------------------------------------------

    def conversations(
        self, conv: EntityLoad, msgs: EntityLoad, full: bool = False, since: str | None = None
    ) -> None:
        """Run (or resume) a pass; pages land and commit in batches with their messages and the
        pass's progress.

        Up to ``window`` pages are in flight at once: their lists and the message reads of their
        changed conversations run in the pool while earlier pages are collected and land. Pages
        read past the point where an increment stops are discarded unlanded.
        """
        self.check_access()
        state = conv.state()
        current, start = self._pass(state, full, since)
        floor = parse_timestamp(current["floor"]) if current["floor"] else None
        conv.ledger.mode = msgs.ledger.mode = "incremental" if floor else "full"
        if start > 1:
            log.info("chatwoot %s: resuming the conversations pass at page %d", conv.shop, start)
        repair = {str(k): int(v) for k, v in (state.get("repair") or {}).items()}
        if repair:
            self._repair(conv, msgs, state, repair)
        lists: deque[tuple[int, Future[list[Any]]]] = deque()
        started: deque[_PageWork] = deque()
        next_page, stop = start, False
        batch = _Batch()

        def take(work: _PageWork) -> bool:
            nonlocal batch
            done = self._take_page(current, repair, work, batch)
            if done or batch.size() >= self.batch_rows:
                self._land_batch(conv, msgs, batch, {**state, "pass": current, "repair": repair})
                batch = _Batch()
            return done

        try:
            while not stop:
                while len(lists) < self.window and next_page < MAX_PAGES:
                    future = self._pool.submit(self.client.conversations_page, next_page)
                    lists.append((next_page, future))
                    next_page += 1
                if not lists:
                    break
                number, future = lists.popleft()
                records = future.result()
                if not records:
                    break
                started.append(self._start_page(conv, number, records, full))
                if len(started) >= self.window:
                    stop = take(started.popleft())
            while started and not stop:
                stop = take(started.popleft())
            if batch.pages:
                self._land_batch(conv, msgs, batch, {**state, "pass": current, "repair": repair})
        finally:
            for _, future in lists:
                future.cancel()
            for work in started:
                for _, future in work.messages:
                    future.cancel()
        # the pass is complete: the high-water mark moves, the pass is done with
        done = {k: v for k, v in state.items() if k not in ("pass", "behind")}
        done["cursor"] = later(state.get("cursor"), current.get("max"))
        done["repair"] = repair
        behind = self._still_behind(conv, state.get("behind"), current.get("behind"))
        if behind:
            done["behind"] = behind
        conv.save(done)
        msgs.save({"cursor": done["cursor"]})
        conv.commit()

    def _pass(
        self, state: dict[str, Any], full: bool, since: str | None
    ) -> tuple[dict[str, Any], int]:
        """The pass to run and its first page: the unfinished one (resumed on its last landed
        page) unless a wider window is asked for, else a new one."""
        running = state.get("pass")
        if running is not None:
            resumable = running.get("floor") is None or (not full and since is None)
            if resumable:
                return dict(running), max(1, int(running.get("page") or 0))
        start_from = since or state.get("cursor")
        floor: datetime | None = None
        if not full and start_from:
            floor = parse_timestamp(start_from) - self.lookback
            if running is not None and running.get("floor"):
                floor = min(floor, parse_timestamp(running["floor"]))  # its window is owed too
            behind = (state.get("behind") or {}).get("at")
            if behind:  # records an earlier pass could not land: reach back to them
                floor = min(floor, parse_timestamp(behind) - self.lookback)
        new = {"floor": iso(floor) if floor else None, "page": 0, "max": None, "behind": None}
        return new, 1

    def _start_page(
        self, conv: EntityLoad, number: int, records: list[Any], full: bool
    ) -> _PageWork:
        rows, bad = split(records, conversation_row)
        bad_since = None
        if bad:  # the list is newest first: what could not be landed is no older than the page
            times = [activity(r) for r in records if isinstance(r, dict)]
            bad_since = min((t for t in times if t is not None), default=None)
        changed = self._changed(conv, rows) if not full else {r.id for r in rows}
        futures = [
            (row.id, self._pool.submit(self._fetch_messages, row.id))
            for row in rows
            if row.id in changed
        ]
        return _PageWork(number, records, rows, bad, bad_since, futures)

    def _take_page(
        self,
        current: dict[str, Any],
        repair: dict[str, int],
        work: _PageWork,
        batch: _Batch,
    ) -> bool:
        """Add one page and its messages to the batch and the pass's progress to ``current``
        (both land together, see ``_land_batch``); True when an increment has gone past its
        floor (stop paging)."""
        for conversation_id, future in work.messages:
            rows, bad = split(future.result(), message_row)
            batch.messages.extend(rows)
            batch.messages_bad.extend(bad)
            if bad:
                repair.setdefault(conversation_id, 0)
            else:
                repair.pop(conversation_id, None)
        batch.conversations.extend(work.rows)
        batch.conversations_bad.extend(work.bad)
        batch.pages += 1
        times = [activity(r) for r in work.records if isinstance(r, dict)]
        newest = max((t for t in times if t is not None), default=None)
        current["max"] = later(current.get("max"), iso(newest) if newest else None)
        if work.bad_since is not None:
            current["behind"] = earlier(current.get("behind"), iso(work.bad_since))
        current["page"] = work.number
        if not current["floor"]:
            return False
        floor = parse_timestamp(current["floor"])
        return all(t is not None and t < floor for t in times)

    @staticmethod
    def _land_batch(conv: EntityLoad, msgs: EntityLoad, batch: _Batch, progress: dict) -> None:
        """Land a batch of pages, their messages and the pass's ``progress`` (the state that
        resumes after them) in one transaction."""
        conv.land(batch.conversations, batch.conversations_bad)
        msgs.land(batch.messages, batch.messages_bad)
        conv.save(progress)
        conv.commit()

    def _repair(
        self, conv: EntityLoad, msgs: EntityLoad, state: dict[str, Any], repair: dict[str, int]
    ) -> None:
        """Read again the messages of conversations an earlier run landed with a quarantined
        message; drop them from the list once clean (or after ``REPAIR_ATTEMPTS``)."""
        for conversation_id in list(repair):
            try:
                records = self._fetch_messages(conversation_id)
            except ApiError as exc:
                if exc.status != 404:
                    raise
                records = []  # the conversation is gone
            rows, bad = split(records, message_row)
            msgs.land(rows, bad)
            attempts = repair.pop(conversation_id) + 1
            if bad and attempts < REPAIR_ATTEMPTS:
                repair[conversation_id] = attempts
            elif bad:
                log.warning(
                    "chatwoot %s conversation %s: %d message(s) still unreadable after %d "
                    "reads; they stay in raw_app.quarantine",
                    conv.shop,
                    conversation_id,
                    len(bad),
                    attempts,
                )
        conv.save({**state, "repair": repair})
        conv.commit()

    def _still_behind(
        self, conv: EntityLoad, before: dict[str, Any] | None, seen: str | None
    ) -> dict[str, Any] | None:
        """What the next pass must reach back to: the oldest activity among conversations this
        pass had to quarantine (given up after ``REPAIR_ATTEMPTS`` passes in a row)."""
        if not seen:
            return None
        passes = 1
        if before and before.get("at") and parse_timestamp(seen) <= parse_timestamp(before["at"]):
            passes = int(before.get("passes") or 0) + 1  # the same window is still unreadable
        if passes > REPAIR_ATTEMPTS:
            log.warning(
                "chatwoot %s: conversations active at %s are still unreadable after %d passes; "
                "they stay in raw_app.quarantine",
                conv.shop,
                seen,
                passes - 1,
            )
            return None
        return {"at": seen, "passes": passes}

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
                or (row.updated_at == have[0] and loads(row.payload) != loads(have[1]))
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

    # --- contacts, agents, inboxes -----------------------------------------------------------

    def contacts(
        self, load: EntityLoad, full: bool = False, since: str | None = None, window: int = 8
    ) -> None:
        """A full pass over the contacts or an increment (see the module docstring);
        ``window`` pages requested at once, landed in order, about ``batch_rows`` contacts per
        transaction. The state moves only when the pass completes, with its last batch."""
        self.check_access()
        state = load.state()
        floor = self._contacts_floor(state, full, since)
        load.ledger.mode = "incremental" if floor else "full"
        if floor is None and state.get("cursor") and not full:
            log.info(
                "chatwoot %s: contacts read in full (last full read completed %s)",
                load.shop,
                state.get("complete_at") or "never",
            )
        newest = self._contact_pages(load, floor, window)
        if floor is None:
            done = {"complete_at": iso(datetime.now(UTC))}
        else:
            done = {**state}
            newest = later(state.get("cursor"), newest)
        if newest:
            done["cursor"] = newest
        load.save(done)
        load.commit()

    def _contacts_floor(
        self, state: dict[str, Any], full: bool, since: str | None
    ) -> datetime | None:
        """Where an increment stops: the high-water mark (or ``since``) minus the lookback.
        None for a full pass: ``--full``, a first load (no mark yet), or a full pass due."""
        start = since or state.get("cursor")
        if full or not start or self._full_pass_due(state.get("complete_at")):
            return None
        return parse_timestamp(start) - self.lookback

    def _full_pass_due(self, complete_at: str | None) -> bool:
        """Has the last full pass completed ``contacts_full_days`` days (UTC dates) ago or more
        (or never)? Counted in dates, so daily runs read in full every N-th day, not N+1-th."""
        if self.contacts_full_days <= 0 or not complete_at:
            return True
        try:
            completed = parse_timestamp(complete_at)
        except RecordError:
            return True
        days = (datetime.now(UTC).date() - completed.astimezone(UTC).date()).days
        return days >= self.contacts_full_days

    def _contact_pages(self, load: EntityLoad, floor: datetime | None, window: int) -> str | None:
        """Land the pass's pages in order (unsorted for a full pass, newest activity first for an
        increment, which stops after the first page entirely older than ``floor``); the newest
        ``last_activity_at`` they held (ISO)."""
        sort = None if floor is None else NEWEST_ACTIVITY_FIRST
        rows: list[Row] = []
        bad: list[tuple[str, str]] = []
        newest: str | None = None
        order = _NewestFirst()
        with closing(self._pages(lambda n: self.client.contacts_page(n, sort), window)) as pages:
            for records in pages:
                if not records:
                    break
                got, rejected = split(records, contact_row)
                rows.extend(got)
                bad.extend(rejected)
                newest = later(newest, _newest_activity(records))
                if floor is not None and not order.holds(records):
                    self._unsorted_contacts(load)
                    floor = None  # read on to the end: this list cannot say where to stop
                if floor is not None and all(_older(r, floor) for r in records):
                    break
                if len(rows) + len(bad) >= self.batch_rows:
                    load.land(rows, bad)
                    load.commit()
                    rows, bad = [], []
        load.land(rows, bad)
        return newest

    @staticmethod
    def _unsorted_contacts(load: EntityLoad) -> None:
        log.warning(
            "chatwoot %s: the contacts list came back out of newest-activity order (does the "
            "server ignore sort=%s?); this run reads every page",
            load.shop,
            NEWEST_ACTIVITY_FIRST,
        )
        load.note("contacts list not in newest-activity order: every page read")

    def _pages(self, fetch: Callable[[int], list[Any]], window: int) -> Iterator[list[Any]]:
        """Pages 1, 2, ... of a list in order, ``window`` of them requested ahead. The requests
        already submitted when the caller stops still run (their answers are dropped): which of
        them a cancel would catch depends on the pool's timing, so the same read would send a
        different set of requests from one run to the next (a benchmark's recording and its
        replay disagreed on the pages past the end of a list)."""
        pending: deque[Future[list[Any]]] = deque()
        number = 1
        while True:
            while len(pending) < max(1, window) and number < MAX_PAGES:
                pending.append(self._pool.submit(fetch, number))
                number += 1
            if not pending:
                return
            yield pending.popleft().result()

    def csat_survey_responses(
        self, load: EntityLoad, full: bool = False, since: str | None = None, window: int = 4
    ) -> None:
        """The account's CSAT survey responses, ``window`` pages at a time, each batch landed
        and committed. A first load (or ``--full``) reads every page; an increment reads those
        answered since the high-water mark (or ``since``) minus the lookback. The list is
        ascending id, so responses answered during the read join its end, never shift it."""
        self.check_access()
        state = load.state()
        start = since or (None if full else state.get("cursor"))
        load.ledger.mode = "incremental" if start else "full"
        bounds: tuple[int | None, int | None] = (None, None)
        if start:
            floor = parse_timestamp(start) - self.lookback
            bounds = (int(floor.timestamp()), int(datetime.now(UTC).timestamp()) + 86_400)
        newest = state.get("cursor")
        for first in range(1, MAX_PAGES, window):
            pages = list(
                self._pool.map(
                    lambda n: self.client.csat_page(n, *bounds), range(first, first + window)
                )
            )
            rows: list[Row] = []
            bad: list[tuple[str, str]] = []
            done = False
            for records in pages:
                got, rejected = split(records, csat_row)
                rows.extend(got)
                bad.extend(rejected)
                if len(records) < CSAT_PAGE:
                    done = True
                    break
            for row in rows:
                newest = later(newest, iso(row.updated_at))
            load.land(rows, bad)
            load.commit()
            if done:
                break
        load.save({"cursor": newest})
        load.commit()

    def static(self, load: EntityLoad, records: list[dict[str, Any]]) -> None:
        """Agents/inboxes: no timestamps; stored rows change only when the payload changes."""
        self.check_access()
        load.ledger.mode = "full"
        now = datetime.now(UTC)
        rows, bad = split(records, lambda r: first_seen_row(r, now))
        load.land(rows, bad)
        load.save({"complete_at": iso(now)})
        load.commit()


class _NewestFirst:
    """Do the pages of a contacts list come newest activity first, never active last, as
    ``sort=-last_activity_at`` asks? (A contact that moves up during the read goes to the top
    and only shifts the rest down: the pages still read in order.)"""

    def __init__(self) -> None:
        self.last: datetime | None = None
        self.nulls = False

    def holds(self, records: list[Any]) -> bool:
        for record in records:
            try:
                at = contact_activity(record)
            except RecordError:
                continue
            if at is None:
                self.nulls = True
            elif self.nulls or (self.last is not None and at > self.last):
                return False
            else:
                self.last = at
        return True


def _older(record: Any, floor: datetime) -> bool:
    """Is a contact listed after everything active since ``floor``: last active before it, or
    never (``NULLS LAST``)? A record whose time cannot be read is not: it never ends a pass."""
    try:
        at = contact_activity(record)
    except RecordError:
        return False
    return at is None or at < floor


def _newest_activity(records: list[Any]) -> str | None:
    """The newest readable ``last_activity_at`` among listed contacts (ISO), or None."""
    newest: datetime | None = None
    for record in records:
        try:
            at = contact_activity(record)
        except RecordError:
            continue
        if at is not None and (newest is None or at > newest):
            newest = at
    return iso(newest) if newest else None
