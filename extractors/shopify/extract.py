"""Shopify extraction per entity: bulk first load, updated_at increments, full re-reads.

State per (shop, entity) in raw_app.extract_state:
``{"cursor": ISO max updatedAt landed, "loaded": true once a first load ended,
"bulk": {"id", "roots_done", "max", "search", "recheck"} | absent, "reread": {...} | absent}``
(``roots_done``: records of the regrouped result already landed, so a rerun resumes after them;
``recheck``/``reread``: records landed without a bad nested line, re-read before the run ends or
first thing in the next run, see ``recheck``).
A large first load (or full read) of orders is split in parts by ``updated_at`` (split.py):
the entity's state then holds ``"parts": [state keys]`` and each part keeps a state of its own
(``orders.part1of2``: a bulk read with its ``search``, as above) until every part is loaded;
the parts' newest updatedAt becomes the entity's cursor and their states are removed.
Each batch is committed together with the state that describes it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from typing import Any, Protocol

from extractors.errors import ApiError, QueryCostError
from extractors.load import EntityLoad
from extractors.records import RecordError, Row, dumps, iso, parse_timestamp
from extractors.shopify import nested, notices, queries, shape, split
from extractors.shopify.client import ShopifyClient
from extractors.shopify.queries import EntityQuery
from extractors.shopify.recheck import Recheck
from extractors.shopify.regroup import Spill

log = logging.getLogger(__name__)

BATCH_ROWS = 2000
PAGE_SIZE = 250
# An increment with pages still to go continues as a bulk operation with the same updated_at
# filter as soon as the next page would wait for the shop's cost bucket (pages are
# cost-throttled: ~28 orders/s per shop under a 100 points/s restore rate; bulk operations are
# not), or once it has landed this many records.
BULK_INCREMENT_AFTER = 2500
BULK_ATTEMPTS = 3  # bulk operations started per entity and run before giving up
# Entities whose records missing from a complete full read are marked deleted (``deleted_at``).
# Products only: a variant lives inside its product's payload (re-landed whole, so a removed
# variant leaves it), customers and orders have their delete webhooks, and without
# read_all_orders a full read of orders returns only the last 60 days.
MARK_MISSING = frozenset({"products"})
# Entities whose first load or full read may be split in parts (``split.plan``: orders only,
# ordersCount counts them)
SPLITTABLE = frozenset({"orders"})
SPLIT_PARTS = 2  # bulk queries a split read runs side by side (Shopify allows 5 per shop)


class PartRunner(Protocol):
    """Reads the pending parts of a split read to their end (in this thread, or spread over
    processes by the caller); ``new_rows``: none of the shop's rows was in the table when the
    split read began (each part may COPY straight in, see ``EntityLoad``)."""

    def __call__(
        self,
        extractor: ShopifyExtractor,
        entity: EntityQuery,
        load: EntityLoad,
        pending: list[str],
        new_rows: bool | None,
    ) -> None: ...


def parts_here(
    extractor: ShopifyExtractor,
    entity: EntityQuery,
    load: EntityLoad,
    pending: list[str],
    new_rows: bool | None,
) -> None:
    """The pending parts one after the other, in this thread."""
    for key in pending:
        extractor.read_part(entity, load.part(key, new_rows))


class ShopifyExtractor:
    def __init__(
        self,
        client: ShopifyClient,
        lookback: timedelta = timedelta(hours=1),
        bulk_increment_after: int = BULK_INCREMENT_AFTER,
        page_size: int = PAGE_SIZE,
        batch_rows: int = BATCH_ROWS,
        split_min: int = 0,
        run_parts: PartRunner = parts_here,
    ) -> None:
        self.client = client
        self.lookback = lookback
        self.bulk_increment_after = bulk_increment_after
        self.page_size = page_size
        self.batch_rows = batch_rows
        self.split_min = split_min  # orders from which a whole read is split (0: never)
        self.run_parts = run_parts

    # --- entry points --------------------------------------------------------------------------

    def extract_shop(self, load: EntityLoad) -> None:
        """The shop record (one query, every run)."""
        load.ledger.mode = "full"
        node = self.client.query(queries.SHOP_DOCUMENT).get("shop")
        rows, bad = shape.safe_rows(EntityQuery(entity="shops", root="shop", selection=""), node)
        load.land(rows, bad)
        load.save({"cursor": _max_iso(rows, None)})
        load.commit()

    def extract(
        self, entity: EntityQuery, load: EntityLoad, full: bool = False, since: str | None = None
    ) -> None:
        state = load.state()
        if state.get("parts"):  # a split read under way (this run's or a stopped run's)
            load.ledger.mode = "bulk"
            self._parts(entity, load, state, None)
            return
        if state.get("reread"):  # left by a run that stopped before its re-read
            self._reread(entity, load, state)
            state = load.state()
        first_load = not state.get("loaded") and not state.get("cursor") and since is None
        if (full or first_load) and not state.get("bulk") and self._split(entity, load, state):
            return
        if state.get("bulk") or full or first_load:
            load.ledger.mode = "bulk"
            self._bulk(entity, load, state)
            state = load.state()
            if state.get("reread"):
                self._reread(entity, load, state)
        elif entity.incremental and (since or state.get("cursor")):
            load.ledger.mode = "incremental"
            self._pages(entity, load, state, since)
        else:
            load.ledger.mode = "full"
            self._pages(entity, load, state, None, whole=True)

    # --- a read split in parts -----------------------------------------------------------------

    def _split(self, entity: EntityQuery, load: EntityLoad, state: dict[str, Any]) -> bool:
        """Read the entity whole in parts when it is large enough (True), else nothing (False).
        The plan (each part's bulk read with its search) is committed before any part starts."""
        if entity.entity not in SPLITTABLE or self.split_min <= 0:
            return False
        try:
            searches = split.plan(self.client, SPLIT_PARTS, self.split_min)
        except ApiError as exc:  # a count the API refuses: the read is whole, as before
            log.warning("%s: no split read (%s): reading it whole", entity.entity, exc)
            return False
        if not searches:
            return False
        load.ledger.mode = "bulk"
        keys = [split.part_key(entity.entity, i, len(searches)) for i, _ in enumerate(searches)]
        for key, search in zip(keys, searches, strict=True):
            load.part(key).save({"bulk": {"search": search}})
        state = {k: v for k, v in state.items() if k != "bulk"}
        state["parts"] = keys
        load.save(state)
        new_rows = not load.holds_rows()
        load.commit()
        self._parts(entity, load, state, new_rows)
        return True

    def read_part(self, entity: EntityQuery, load: EntityLoad) -> None:
        """One part of a split read (``load`` is the part's, see ``EntityLoad.part``): its bulk
        read resumed or started, then its re-read of records with a bad nested line."""
        state = load.state()
        if state.get("bulk"):
            self._bulk(entity, load, state)
            state = load.state()
        if state.get("reread"):
            self._reread(entity, load, state)

    def _parts(
        self, entity: EntityQuery, load: EntityLoad, state: dict[str, Any], new_rows: bool | None
    ) -> None:
        """Read the parts not loaded yet (``run_parts``), then make the entity loaded at the
        newest updatedAt any part saw, removing the parts' states, in one commit."""
        keys = list(state["parts"])
        pending = [key for key in keys if not _part_done(load.part(key).state())]
        if pending:
            self.run_parts(self, entity, load, pending, new_rows)
        final = {k: v for k, v in state.items() if k != "parts"}
        for key in keys:
            part = load.part(key).state()
            if not _part_done(part):
                raise ApiError(
                    f"{entity.entity}: part {key} of the split read did not finish: rerun to "
                    "resume it"
                )
            final["cursor"] = _later(final.get("cursor"), part.get("cursor"))
            load.drop_state(key)
        final["loaded"] = True
        load.save(final)
        load.commit()

    # --- bulk ----------------------------------------------------------------------------------

    def _bulk(self, entity: EntityQuery, load: EntityLoad, state: dict[str, Any]) -> None:
        """Resume the in-flight bulk operation (or start one), wait for it, land its result.

        A FAILED operation's partial data is landed first; a FAILED, CANCELED or EXPIRED one
        (or a result whose URL has expired) is then started again, up to BULK_ATTEMPTS times.
        """
        bulk = state.get("bulk") or {}
        status, node = "", {}
        for _ in range(BULK_ATTEMPTS):
            if not bulk.get("id"):
                bulk = {
                    "id": self.client.start_bulk(entity.bulk_document(bulk.get("search"))),
                    "roots_done": 0,
                    "max": bulk.get("max"),
                    "search": bulk.get("search"),
                }
                state["bulk"] = bulk
                load.save(state)
                load.commit()
            waited = time.monotonic()
            node = self.client.wait_bulk(bulk["id"])  # bounded: BulkWaitError keeps the id
            status = str(node.get("status"))
            log.info(
                "%s bulk operation %s %s after %.1fs (%s objects)",
                entity.entity,
                bulk["id"],
                status,
                time.monotonic() - waited,
                node.get("objectCount"),
            )
            restart = {"max": bulk.get("max"), "search": bulk.get("search")}
            if status == "COMPLETED":
                try:
                    self._land_result(
                        entity, load, state, bulk, node.get("url"), started=node.get("createdAt")
                    )
                    return
                except ApiError as exc:
                    if exc.status not in (403, 404, 410):
                        raise
                    status = f"COMPLETED, result gone (HTTP {exc.status})"
            elif status == "FAILED" and node.get("partialDataUrl"):
                restart["max"] = self._land_result(
                    entity, load, state, restart, node["partialDataUrl"], partial=True
                )
            log.warning(
                "%s bulk operation %s %s: starting it again", entity.entity, bulk["id"], status
            )
            bulk = restart  # no id: the next attempt starts a new operation
            state["bulk"] = bulk
            load.save(state)
            load.commit()
        raise ApiError(
            f"bulk operation for {entity.entity} ended {status} (errorCode "
            f"{node.get('errorCode')}) {BULK_ATTEMPTS} times: check the shop's API status, then "
            "rerun"
        )

    def _land_result(
        self,
        entity: EntityQuery,
        load: EntityLoad,
        state: dict[str, Any],
        bulk: dict[str, Any],
        url: str | None,
        partial: bool = False,
        started: str | None = None,
    ) -> str | None:
        """Land a bulk result (or a failed operation's partial data); the newest updatedAt back.

        The result is spilled to disk and regrouped (children anywhere in the file), then landed
        root by root in batches, each committed with the state that resumes after it. Parsing
        (this thread) overlaps with the previous batch's COPY and merge in one landing thread.
        A complete full read (no updated_at filter, not partial data) of a MARK_MISSING entity
        also marks deleted, in its last batch's transaction, the records it did not return.
        """
        skip = 0 if partial else int(bulk.get("roots_done") or 0)
        max_seen = bulk.get("max")
        child_field = entity.nested[0].field if entity.nested else None
        recheck = Recheck(entity, None if partial else bulk.get("recheck"))
        with Spill(entity.entity, child_field) as spill, _BackgroundLander(load) as lander:
            if url:
                spill.fill(self.client.bulk_lines(url))
            for rows, bad, done in self._batches(entity, spill, skip, partial, recheck):
                max_seen = _max_iso(rows, max_seen)
                if partial:  # the operation runs again from the start: no position to keep
                    restart = {"max": max_seen, "search": bulk.get("search")}
                    lander.submit(rows, bad, {**state, "bulk": restart})
                elif done is None:  # the end of the result: the entity is loaded
                    final = {k: v for k, v in state.items() if k != "bulk"}
                    final["loaded"] = True
                    final["cursor"] = _later(state.get("cursor"), max_seen)
                    if recheck:
                        final["reread"] = recheck.state(bulk.get("search"))
                    mark = self._missing(entity, bulk, spill, started)
                    if mark is None:
                        lander.submit(rows, bad, final)
                    else:  # here, in this thread: the spill's ids are read from it
                        lander.last(rows, bad, final, mark)
                else:
                    position = {**bulk, "roots_done": done, "max": max_seen}
                    position["recheck"] = recheck.state(None)
                    lander.submit(rows, bad, {**state, "bulk": position})
        return max_seen

    @staticmethod
    def _missing(
        entity: EntityQuery, bulk: dict[str, Any], spill: Spill, started: str | None
    ) -> Callable[[EntityLoad], object] | None:
        """What marks deleted the records a complete full read did not return; None when this
        read may not (an increment's filtered read, an entity not in MARK_MISSING, an empty
        result, or no start time to tell records changed during the read)."""
        if entity.entity not in MARK_MISSING or bulk.get("search"):
            return None
        if not started or not spill.root_count:
            log.warning(
                "%s full read: %s, records missing from it are not marked deleted",
                entity.entity,
                "no start time" if not started else "empty result",
            )
            return None
        return lambda load: load.mark_missing(spill.ids(), started)

    def _batches(
        self, entity: EntityQuery, spill: Spill, skip: int, partial: bool, recheck: Recheck
    ) -> Iterator[tuple[list[Row], list[tuple[str, str]], int | None]]:
        """(rows, quarantined, roots landed so far) per batch; None as the count at the end,
        where invalid lines and orphaned children are quarantined. A record with a bad nested
        line is not landed; it and the records of quarantined lines are noted in ``recheck``."""
        rows: list[Row] = []
        bad: list[tuple[str, str]] = []
        for root in spill.records(skip, as_text=shape.lands_from_text(entity)):
            if root.text is not None:  # plain lines: no bad nested line, the text as it is
                got, rejected = shape.text_rows(
                    entity, root.id, root.updated, root.text.decode(), root.line
                )
                if rejected:
                    recheck.rejected({"id": root.id})
                rows.extend(got)
                bad.extend(rejected)
            elif kids := recheck.bad_children(root.parsed):
                bad.extend(kids)
            else:
                got, rejected = shape.safe_rows(entity, root.parsed, root.line)
                if rejected:
                    recheck.rejected(root.parsed)
                rows.extend(got)
                bad.extend(rejected)
            if len(rows) + len(bad) >= self.batch_rows:
                yield rows, bad, root.seq
                rows, bad = [], []
        for reason, text in spill.problems(partial):
            recheck.line(text)
            bad.append((reason, text))
        yield rows, bad, None

    # --- paginated -----------------------------------------------------------------------------

    def _pages(
        self,
        entity: EntityQuery,
        load: EntityLoad,
        state: dict[str, Any],
        since: str | None,
        whole: bool = False,
    ) -> None:
        variables: dict[str, Any] = {"first": self.page_size, "after": None}
        if not whole:
            start = parse_timestamp(since or state["cursor"]) - self.lookback
            variables["query"] = f"updated_at:>='{iso(start)}'"
        cursor = state.get("cursor")
        landed = 0
        for rows, bad, more in self._page_batches(entity, variables):
            load.land(rows, bad)
            cursor = _max_iso(rows, cursor)
            if cursor:
                state["cursor"] = cursor
            load.save(state)
            load.commit()
            if not more:
                return
            landed += len(rows) + len(bad)
            dry = self.client.throttle_wait > 0
            if not whole and (dry or landed >= self.bulk_increment_after):
                # a large increment: the rest (from the cursor landed so far) in one bulk operation
                start = parse_timestamp(state.get("cursor") or since) - self.lookback
                log.info(
                    "%s increment: %d records paged%s, continuing as a bulk operation",
                    entity.entity,
                    landed,
                    " and the cost bucket is dry" if dry else "",
                )
                state["bulk"] = {"search": f"updated_at:>='{iso(start)}'"}
                load.save(state)
                load.commit()
                self._bulk(entity, load, state)
                return

    def _page_batches(
        self, entity: EntityQuery, variables: dict[str, Any]
    ) -> Iterator[tuple[list[Row], list[tuple[str, str]], bool]]:
        """(rows, quarantined, more pages to come) per page of ``entity.page_document()``; a
        page over the query cost limit is asked again at half the size."""
        document = entity.page_document()
        while True:
            try:
                data = self.client.query(document, variables)
            except QueryCostError:
                if variables["first"] <= 1:
                    raise
                variables["first"] = max(1, variables["first"] // 2)  # smaller pages cost less
                continue
            conn = data.get(entity.root) or {}
            rows: list[Row] = []
            bad: list[tuple[str, str]] = []
            for edge in conn.get("edges") or []:
                node, problem = nested.complete(self.client, entity, (edge or {}).get("node"))
                if problem:
                    bad.append((problem, dumps(node)))
                    continue
                got, rejected = shape.safe_rows(entity, node)
                rows.extend(got)
                bad.extend(rejected)
            info = conn.get("pageInfo") or {}
            more = bool(info.get("hasNextPage") and info.get("endCursor"))
            yield rows, bad, more
            if not more:
                return
            variables["after"] = info["endCursor"]

    # --- re-reads of records landed without a bad nested line ------------------------------

    def _reread(self, entity: EntityQuery, load: EntityLoad, state: dict[str, Any]) -> None:
        """Land again, complete, the records a bulk result had a bad nested line for: by id
        (``nodes(ids:)``, nested connections read to the end), and when a bad line's record
        could not be told, every record of the result's window by pages. The cursor is left as
        it is; the pending re-read is cleared (and noted in the ledger) in the last commit."""
        pending = state["reread"]
        window = 0
        if pending.get("unknown"):
            log.warning(
                "%s: %s nested lines with no known record: reading the window again by pages",
                entity.entity,
                pending["unknown"],
            )
            variables: dict[str, Any] = {"first": self.page_size, "after": None}
            if pending.get("window"):
                variables["query"] = pending["window"]
            for rows, bad, _more in self._page_batches(entity, variables):
                load.land(rows, bad)
                load.commit()  # the pending re-read stays in the state until the end
                window += len(rows) + len(bad)
        ids = list(pending.get("ids") or [])
        rows: list[Row] = []
        bad: list[tuple[str, str]] = []
        gone = 0
        for _gids, node, problem in notices.fetch(self.client, entity.entity, ids):
            if node is None:
                gone += 1  # deleted since the bulk read: its delete notice marks it
            elif problem:
                bad.append((problem, dumps(node)))
            else:
                try:
                    rows.extend(notices.rows(entity.entity, node))
                except RecordError as exc:
                    bad.append((f"{entity.entity}: {exc}", dumps(node)))
            if len(rows) + len(bad) >= self.batch_rows:
                load.land(rows, bad)
                load.commit()
                rows, bad = [], []
        load.land(rows, bad)
        note = f"{len(ids)} records with a bad nested line re-read ({gone} gone)"
        if pending.get("unknown"):
            note += (
                f"; {pending['unknown']} bad lines with no known record: window re-read by "
                f"pages ({window} records)"
            )
        load.note(note)
        log.info("%s: %s", entity.entity, note)
        load.save({k: v for k, v in state.items() if k != "reread"})
        load.commit()


class _BackgroundLander:
    """One thread that lands, saves state and commits batches in order (at most one queued).

    An error in the landing thread is raised in the caller at the next submit or at exit; on
    exit the caller waits for the batch in flight, so the committed state is always consistent.
    """

    def __init__(self, load: EntityLoad) -> None:
        self.load = load
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lander")
        self.pending: Future | None = None

    def _work(
        self,
        rows: list[Row],
        bad: list[tuple[str, str]],
        state: dict[str, Any],
        then: Callable[[EntityLoad], object] | None = None,
    ) -> None:
        self.load.land(rows, bad)
        if then is not None:
            then(self.load)
        self.load.save(state)
        self.load.commit()

    def last(
        self,
        rows: list[Row],
        bad: list[tuple[str, str]],
        state: dict[str, Any],
        then: Callable[[EntityLoad], object],
    ) -> None:
        """The last batch, landed in the calling thread after the one in flight, with ``then``
        run in its transaction."""
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()
        self._work(rows, bad, state, then)

    def submit(self, rows: list[Row], bad: list[tuple[str, str]], state: dict[str, Any]) -> None:
        if self.pending is not None:
            self.pending.result()
        self.pending = self.pool.submit(self._work, rows, bad, state)

    def __enter__(self) -> _BackgroundLander:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        try:
            if self.pending is not None:
                if exc_type is None:
                    self.pending.result()
                else:
                    wait([self.pending])
        finally:
            self.pool.shutdown(wait=True)


def _part_done(state: dict[str, Any]) -> bool:
    """Has a part of a split read been loaded (nothing in flight, nothing to re-read)?"""
    return bool(state.get("loaded")) and not state.get("bulk") and not state.get("reread")


def _max_iso(rows: list[Row], current: str | None) -> str | None:
    best: datetime | None = parse_timestamp(current) if current else None
    for row in rows:
        if best is None or row.updated_at > best:
            best = row.updated_at
    return iso(best) if best else None


def _later(a: str | None, b: str | None) -> str | None:
    if not a:
        return b
    if not b:
        return a
    return a if parse_timestamp(a) >= parse_timestamp(b) else b
