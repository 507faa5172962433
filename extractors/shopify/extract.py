"""Shopify extraction per entity: bulk first load, updated_at increments, full re-reads.

State per (shop, entity) in raw_app.extract_state:
``{"cursor": ISO max updatedAt landed, "bulk": {"id", "lines_done", "max"} | absent}``.
Each batch is committed together with the state that describes it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from typing import Any

from extractors.errors import ApiError, QueryCostError
from extractors.load import EntityLoad
from extractors.records import JSONDecodeError, Row, iso, loads, parse_timestamp
from extractors.shopify import queries, shape
from extractors.shopify.client import ShopifyClient
from extractors.shopify.queries import EntityQuery

log = logging.getLogger(__name__)

BATCH_ROWS = 2000
PAGE_SIZE = 250
# An increment that has landed this many records and still has pages to go continues as a bulk
# operation with the same updated_at filter: pages are cost-throttled (~28 orders/s per shop
# under a 100 points/s restore rate), bulk operations are not.
BULK_INCREMENT_AFTER = 2500


class ShopifyExtractor:
    def __init__(
        self,
        client: ShopifyClient,
        lookback: timedelta = timedelta(hours=1),
        bulk_increment_after: int = BULK_INCREMENT_AFTER,
        page_size: int = PAGE_SIZE,
        batch_rows: int = BATCH_ROWS,
    ) -> None:
        self.client = client
        self.lookback = lookback
        self.bulk_increment_after = bulk_increment_after
        self.page_size = page_size
        self.batch_rows = batch_rows

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
        first_load = not state.get("loaded") and not state.get("cursor") and since is None
        if state.get("bulk") or full or first_load:
            load.ledger.mode = "bulk"
            self._bulk(entity, load, state)
        elif entity.incremental and (since or state.get("cursor")):
            load.ledger.mode = "incremental"
            self._pages(entity, load, state, since)
        else:
            load.ledger.mode = "full"
            self._pages(entity, load, state, None, whole=True)

    # --- bulk ----------------------------------------------------------------------------------

    def _bulk(self, entity: EntityQuery, load: EntityLoad, state: dict[str, Any]) -> None:
        """Resume the in-flight bulk operation (or start one), wait for it, land its result."""
        bulk = state.get("bulk") or {}
        if bulk.get("id"):
            status = self.client.bulk_status(bulk["id"]).get("status")
            if status in ("FAILED", "CANCELED", "EXPIRED"):
                bulk = {}  # cannot be resumed: start again (upserts make replays harmless)
        for attempt in (1, 2):
            if not bulk.get("id"):
                search = bulk.get("search")
                bulk = {
                    "id": self.client.start_bulk(entity.bulk_document(search)),
                    "lines_done": 0,
                    "max": bulk.get("max"),
                    "search": search,
                }
                state["bulk"] = bulk
                load.save(state)
                load.commit()
            try:
                self._land_bulk(entity, load, state, bulk)
                return
            except ApiError as exc:
                if attempt == 2 or exc.status not in (403, 404, 410):
                    raise
                # the result URL expired or is gone: run the operation again
                bulk = {"max": bulk.get("max"), "search": bulk.get("search")}

    def _land_bulk(
        self, entity: EntityQuery, load: EntityLoad, state: dict[str, Any], bulk: dict[str, Any]
    ) -> None:
        op_id = bulk["id"]
        waited = time.monotonic()
        node = self.client.wait_bulk(op_id)
        log.info(
            "%s bulk operation %s %s after %.1fs (%s objects); landing",
            entity.entity,
            op_id,
            node.get("status"),
            time.monotonic() - waited,
            node.get("objectCount"),
        )
        if node.get("status") != "COMPLETED":
            state.pop("bulk", None)
            load.save(state)
            load.commit()
            raise ApiError(
                f"bulk operation {op_id} for {entity.entity} ended {node.get('status')} "
                f"(errorCode {node.get('errorCode')}): rerun to start a new one"
            )
        lines_done = int(bulk.get("lines_done") or 0)
        lines = self.client.bulk_lines(node["url"], skip=lines_done) if node.get("url") else ()
        # Parsing (Python, this thread) overlaps with the previous batch's COPY and merge
        # (Postgres) in one landing thread; each batch commits with the state describing it.
        max_seen = bulk.get("max")
        with _BackgroundLander(load) as lander:
            for rows, bad, done in self._regroup(entity, lines, lines_done):
                max_seen = _max_iso(rows, max_seen)
                if done is None:  # the end of the file: the entity is loaded
                    final = {k: v for k, v in state.items() if k != "bulk"}
                    final["loaded"] = True
                    final["cursor"] = _later(state.get("cursor"), max_seen)
                    lander.submit(rows, bad, final)
                else:
                    bulk_state = {
                        "id": op_id,
                        "lines_done": done,
                        "max": max_seen,
                        "search": bulk.get("search"),
                    }
                    lander.submit(rows, bad, {**state, "bulk": bulk_state})

    def _regroup(
        self, entity: EntityQuery, lines: Iterable[bytes], line_no: int
    ) -> Iterator[tuple[list[Row], list[tuple[str, str]], int | None]]:
        """Batches of rows from bulk JSONL: children (``__parentId``) go into their parent's list.

        Yields (rows, quarantined, lines consumed) at parent boundaries; the last batch has
        None as its line count.
        """
        rows: list[Row] = []
        bad: list[tuple[str, str]] = []
        parent: dict[str, Any] | None = None
        parent_raw = b""
        child_field = entity.nested[0].field if entity.nested else None
        for line in lines:
            try:
                obj = loads(line)
                if not isinstance(obj, dict):
                    raise ValueError("not an object")
            except (JSONDecodeError, ValueError) as exc:
                bad.append((f"{entity.entity}: invalid JSONL line ({exc})", _text(line)))
                line_no += 1
                continue
            parent_id = obj.pop("__parentId", None)
            if parent_id is None:
                if parent is not None:
                    got, rejected = shape.safe_rows(entity, parent, parent_raw)
                    rows.extend(got)
                    bad.extend(rejected)
                if len(rows) + len(bad) >= self.batch_rows:
                    yield rows, bad, line_no
                    rows, bad = [], []
                parent, parent_raw = obj, line
                if child_field:
                    parent.setdefault(child_field, [])
            elif parent is not None and parent.get("id") == parent_id and child_field:
                parent[child_field].append(obj)
            else:
                reason = f"{entity.entity}: child of {parent_id} does not follow its parent"
                bad.append((reason, _text(line)))
            line_no += 1
        if parent is not None:
            got, rejected = shape.safe_rows(entity, parent, parent_raw)
            rows.extend(got)
            bad.extend(rejected)
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
        document = entity.page_document()
        cursor = state.get("cursor")
        landed = 0
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
                node = shape.flatten_paginated(entity, (edge or {}).get("node"))
                got, rejected = shape.safe_rows(entity, node)
                rows.extend(got)
                bad.extend(rejected)
            load.land(rows, bad)
            cursor = _max_iso(rows, cursor)
            if cursor:
                state["cursor"] = cursor
            load.save(state)
            load.commit()
            info = conn.get("pageInfo") or {}
            if not info.get("hasNextPage") or not info.get("endCursor"):
                return
            landed += len(rows) + len(bad)
            if not whole and landed >= self.bulk_increment_after:
                # a large increment: the rest (from the cursor landed so far) in one bulk operation
                start = parse_timestamp(state.get("cursor") or since) - self.lookback
                log.info(
                    "%s increment: %d records paged, continuing as a bulk operation",
                    entity.entity,
                    landed,
                )
                state["bulk"] = {"search": f"updated_at:>='{iso(start)}'"}
                load.save(state)
                load.commit()
                self._bulk(entity, load, state)
                return
            variables["after"] = info["endCursor"]


class _BackgroundLander:
    """One thread that lands, saves state and commits batches in order (at most one queued).

    An error in the landing thread is raised in the caller at the next submit or at exit; on
    exit the caller waits for the batch in flight, so the committed state is always consistent.
    """

    def __init__(self, load: EntityLoad) -> None:
        self.load = load
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lander")
        self.pending: Future | None = None

    def _work(self, rows: list[Row], bad: list[tuple[str, str]], state: dict[str, Any]) -> None:
        self.load.land(rows, bad)
        self.load.save(state)
        self.load.commit()

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


def _text(line: bytes) -> str:
    return line.decode("utf-8", errors="replace")


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
