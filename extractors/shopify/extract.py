"""Shopify extraction per entity: bulk first load, updated_at increments, full re-reads.

State per (shop, entity) in raw_app.extract_state:
``{"cursor": ISO max updatedAt landed, "bulk": {"id", "lines_done", "max"} | absent}``.
Each batch is committed together with the state that describes it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from extractors.errors import ApiError, QueryCostError
from extractors.load import EntityLoad
from extractors.records import JSONDecodeError, Row, iso, loads, parse_timestamp
from extractors.shopify import queries, shape
from extractors.shopify.client import ShopifyClient
from extractors.shopify.queries import EntityQuery

BATCH_ROWS = 2000
PAGE_SIZE = 250


class ShopifyExtractor:
    def __init__(
        self,
        client: ShopifyClient,
        lookback: timedelta = timedelta(hours=1),
        page_size: int = PAGE_SIZE,
        batch_rows: int = BATCH_ROWS,
    ) -> None:
        self.client = client
        self.lookback = lookback
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
        bulk = state.get("bulk") or {}
        op_id = bulk.get("id")
        node: dict[str, Any] = {}
        if op_id:
            node = self.client.bulk_status(op_id)
            if node.get("status") in ("FAILED", "CANCELED", "EXPIRED"):
                op_id = None  # cannot be resumed: start again (upserts make replays harmless)
        if not op_id:
            op_id = self.client.start_bulk(entity.bulk_document())
            bulk = {"id": op_id, "lines_done": 0, "max": None}
            state["bulk"] = bulk
            load.save(state)
            load.commit()
        node = self.client.wait_bulk(op_id)
        if node.get("status") != "COMPLETED":
            state.pop("bulk", None)
            load.save(state)
            load.commit()
            raise ApiError(
                f"bulk operation {op_id} for {entity.entity} ended {node.get('status')} "
                f"(errorCode {node.get('errorCode')}): rerun to start a new one"
            )
        url = node.get("url")
        lines_done = int(bulk.get("lines_done") or 0)
        max_seen = bulk.get("max")
        rows: list[Row] = []
        bad: list[tuple[str, str]] = []
        parent: dict[str, Any] | None = None
        parent_raw = b""
        parent_start = lines_done  # index of the current parent's first line
        line_no = lines_done
        child_field = entity.nested[0].field if entity.nested else None

        def flush_parent() -> None:
            nonlocal parent
            if parent is not None:
                got, rejected = shape.safe_rows(entity, parent, parent_raw.decode(errors="replace"))
                rows.extend(got)
                bad.extend(rejected)
                parent = None

        def commit_batch(done: int) -> None:
            nonlocal max_seen
            max_seen = _max_iso(rows, max_seen)
            load.land(rows, bad)
            state["bulk"] = {"id": op_id, "lines_done": done, "max": max_seen}
            load.save(state)
            load.commit()
            rows.clear()
            bad.clear()

        for line in self.client.bulk_lines(url, skip=lines_done) if url else ():
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
                flush_parent()
                if len(rows) + len(bad) >= self.batch_rows:
                    commit_batch(line_no)
                parent, parent_raw, parent_start = obj, line, line_no
                if child_field:
                    parent.setdefault(child_field, [])
            elif parent is not None and parent.get("id") == parent_id and child_field:
                parent[child_field].append(obj)
            else:
                bad.append(
                    (
                        f"{entity.entity}: child line whose parent {parent_id} is not the "
                        "preceding record",
                        _text(line),
                    )
                )
            line_no += 1
        del parent_start
        flush_parent()
        max_seen = _max_iso(rows, max_seen)
        load.land(rows, bad)
        rows.clear()
        bad.clear()
        state.pop("bulk", None)
        state["loaded"] = True
        state["cursor"] = _later(state.get("cursor"), max_seen)
        load.save(state)
        load.commit()

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
            variables["after"] = info["endCursor"]


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
