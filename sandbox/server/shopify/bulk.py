"""Bulk operations: ``bulkOperationRunQuery`` runs the inner query in a background thread and
writes Shopify's JSONL: one line per root node and one line per node of each nested connection
carrying ``__parentId`` (the parent's GID).

The layout follows API 2026-07: ``groupObjects`` defaults to false and then a child line may be
anywhere in the file (before its parent, after it, or far from it): lines are shuffled within a
window of roots and the children of some parents are carried into the next window; the roots,
and the children of one parent, keep their connection order. Only ``groupObjects: true``
writes each parent directly followed by its children. Up to ``MAX_CONCURRENT`` bulk queries run at
once per shop (since 2026-01); one more is refused with ``LIMIT_REACHED``. A result's ``url`` and
``partialDataUrl`` expire seven days after the operation ends (the ``bulk_result_ttl_s`` setting):
the file is deleted, the URL answers 404 and the operation reads ``EXPIRED``, as on Shopify. The
``bulk_fail_after`` fault makes the first operation FAIL after that many root objects, its lines so
far served at ``partialDataUrl`` (as Shopify serves a failed operation's partial data)."""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from graphql import GraphQLError, parse, validate
from graphql.language import OperationDefinitionNode

from sandbox.server.data import DataAccess
from sandbox.server.faults import FaultInjector
from sandbox.server.shopify.plan import Context, Field, compile_fields, field_value, projector
from sandbox.server.shopify.roots import CONNECTIONS, iter_nodes, orders_since
from sandbox.server.shopify.search import parse_search
from warehouse.json_codec import dumps_bytes as dumps

log = logging.getLogger(__name__)
MAX_CONNECTIONS = 5
MAX_CONCURRENT = 5  # bulk query operations running at once per shop (API 2026-01 and later)
SHUFFLE_ROOTS = 200  # ungrouped layout: lines are shuffled within windows of this many roots
CARRY_SHARE = 0.1  # ...and this share of child lines is carried into the next window
MAX_DEPTH = 2
WRITE_BUFFER = 4 << 20  # bytes of JSONL buffered per result-file write
_ids = itertools.count(1001)


def _iso(ts: datetime | None) -> str | None:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if ts else None


@dataclass
class BulkOperation:
    number: int
    shop: str
    query: str
    status: str = "CREATED"
    error_code: str | None = None
    created_at: datetime | None = None
    completed_at: datetime | None = None
    object_count: int = 0
    root_object_count: int = 0
    file_size: int = 0
    path: Path | None = None
    url: str | None = None
    partial_url: str | None = None
    grouped: bool = False
    ended: float | None = None  # time.monotonic() when the operation ended (its URL's clock)

    @property
    def gid(self) -> str:
        return f"gid://shopify/BulkOperation/{self.number}"

    def payload(self) -> dict:
        """The BulkOperation object as GraphQL returns it."""
        return {
            "__typename": "BulkOperation",
            "id": self.gid,
            "status": self.status,
            "errorCode": self.error_code,
            "createdAt": _iso(self.created_at),
            "completedAt": _iso(self.completed_at),
            "objectCount": str(self.object_count),
            "rootObjectCount": str(self.root_object_count),
            "fileSize": str(self.file_size) if self.status == "COMPLETED" else None,
            "url": self.url,
            "partialDataUrl": self.partial_url,
            "query": self.query,
            "type": "QUERY",
        }


def _user_error(message: str) -> dict:
    return {"field": ["query"], "message": message, "code": "INVALID"}


class BulkManager:
    def __init__(
        self,
        data: DataAccess,
        out_dir: Path,
        base_url: Callable[[], str],
        faults: FaultInjector,
        context: Callable[[dict], Context],
    ) -> None:
        self.data = data
        self.out_dir = out_dir
        self.base_url = base_url
        self.faults = faults
        self.context = context
        self.ops: dict[int, BulkOperation] = {}
        self.threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._failed_once = False

    # --- lookups ------------------------------------------------------------------------

    def get(self, gid: str, shop: str) -> BulkOperation | None:
        try:
            number = int(gid.rsplit("/", 1)[1])
        except (IndexError, ValueError):
            return None
        self._expire()
        op = self.ops.get(number)
        return op if op and op.shop == shop else None

    def current(self, shop: str) -> BulkOperation | None:
        mine = [op for op in self.ops.values() if op.shop == shop]
        return max(mine, key=lambda op: op.number) if mine else None

    def file_for(self, number: int) -> Path | None:
        """A completed operation's result, or a failed one's partial data."""
        self._expire()
        op = self.ops.get(number)
        if op is None or op.path is None:
            return None
        if op.status != "COMPLETED" and not (op.status == "FAILED" and op.partial_url):
            return None
        return op.path if op.path.exists() else None

    # --- start --------------------------------------------------------------------------

    def plan(self, query: str) -> tuple[Field | None, str | None]:
        """The root connection of a bulk query, or a user-error message."""
        from sandbox.server.schema import shopify_schema

        schema = shopify_schema()
        try:
            document = parse(query)
        except GraphQLError as exc:
            return None, f"Invalid bulk query: {exc.message}"
        errors = validate(schema, document)
        if errors:
            from sandbox.server.shopify.errors import shopify_error

            return None, "Invalid bulk query: " + shopify_error(errors[0], document)["message"]
        ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(ops) != 1 or ops[0].operation.value != "query":
            return None, "Bulk queries must contain exactly one query operation."
        ctx = self.context({})
        ctx.fragments = {
            d.name.value: d
            for d in document.definitions
            if not isinstance(d, OperationDefinitionNode)
        }
        assert schema.query_type is not None
        roots = compile_fields(ctx, schema.query_type, [ops[0].selection_set])
        if len(roots) != 1 or roots[0].kind != "connection" or roots[0].name not in CONNECTIONS:
            return None, (
                "Bulk queries must select exactly one top-level connection; the sandbox supports "
                + ", ".join(sorted(CONNECTIONS))
                + "."
            )
        count, depth = self._shape(roots[0], 1)
        if count > MAX_CONNECTIONS:
            return None, f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections."
        if depth > MAX_DEPTH + 1:
            return (
                None,
                f"Bulk queries cannot nest connections more than {MAX_DEPTH} levels deep.",
            )
        return roots[0], None

    def _node_fields(self, conn: Field) -> list[Field]:
        node_type = conn.node_type()
        fields: list[Field] = []
        seen: set[str] = set()
        for child in conn.children():
            sources = []
            if child.name == "nodes":
                sources = child.children(node_type)
            elif child.name == "edges":
                for ef in child.children():
                    if ef.name == "node":
                        sources = ef.children(node_type)
            for f in sources:
                if f.key not in seen:
                    seen.add(f.key)
                    fields.append(f)
        return fields

    def _shape(self, conn: Field, depth: int) -> tuple[int, int]:
        count, deepest = 1, depth
        for f in self._node_fields(conn):
            if f.kind == "connection":
                c, d = self._shape(f, depth + 1)
                count += c
                deepest = max(deepest, d)
        return count, deepest

    def start(
        self, shop: str, query: str, group_objects: bool = False
    ) -> tuple[BulkOperation | None, list[dict]]:
        root, problem = self.plan(query)
        if problem:
            return None, [_user_error(problem)]
        assert root is not None
        with self._lock:
            running = [
                op
                for op in self.ops.values()
                if op.shop == shop and op.status in ("CREATED", "RUNNING")
            ]
            if len(running) >= MAX_CONCURRENT:
                return None, [
                    {
                        "field": None,
                        "message": "Bulk operations limit reached. Please try again later "
                        f"({MAX_CONCURRENT} bulk query operations are running for this app "
                        "and shop).",
                        "code": "LIMIT_REACHED",
                    }
                ]
            op = BulkOperation(
                next(_ids), shop, query, created_at=self.data.now, grouped=group_objects
            )
            self.ops[op.number] = op
            self._expire()
        thread = threading.Thread(target=self._run, args=(op, root), daemon=True)
        self.threads.append(thread)
        thread.start()
        return op, []

    def _expire(self) -> None:
        """Delete the result files of operations that ended more than ``bulk_result_ttl_s``
        ago; their URLs then answer 404 and the operations read EXPIRED (Shopify's URLs expire
        seven days after the operation ends)."""
        ttl = self.faults.config.bulk_result_ttl_s
        now = time.monotonic()
        for old in list(self.ops.values()):
            if old.ended is None or now - old.ended < ttl:
                continue
            if old.path is not None:
                old.path.unlink(missing_ok=True)
                old.path = None
            if old.status in ("COMPLETED", "FAILED") and (old.url or old.partial_url):
                old.status = "EXPIRED"

    # --- run ----------------------------------------------------------------------------

    def emitter(self, conn: Field) -> Callable[[dict, str | None], Iterator[dict]]:
        """Rows of one node of ``conn`` and, after it, of its nested connections' nodes."""
        fields = self._node_fields(conn)
        row_of = projector(fields, conn.node_type(), skip_connections=True)
        nested = [(f, self.emitter(f)) for f in fields if f.kind == "connection"]

        def emit(payload: dict, parent_id: str | None) -> Iterator[dict]:
            row = row_of(payload)
            if parent_id is not None:
                row["__parentId"] = parent_id
            yield row
            for f, child_rows in nested:
                for child in field_value(f, payload) or []:
                    yield from child_rows(child, payload.get("id"))

        return emit

    def _run(self, op: BulkOperation, root: Field) -> None:
        op.status = "RUNNING"
        path = self.out_dir / f"bulk-{op.number}.jsonl"
        try:
            search = parse_search(root.args.get("query"))
            reverse = bool(root.args.get("reverse"))
            rows_of = self.emitter(root)
            malformed = self.faults.config.malformed_rate > 0
            layout = _Layout(op.grouped, random.Random(op.number))
            # a large buffer: each small write would release the GIL and wait to get it back
            # from the request threads (up to the 5 ms switch interval per line)
            with path.open("wb", buffering=WRITE_BUFFER) as out:

                def write(rows: list[dict]) -> None:
                    for row in rows:
                        line = dumps(row)
                        if malformed and self.faults.is_malformed(row.get("id")):
                            line = self.faults.corrupt_line(line.decode(), row.get("id")).encode()
                        op.file_size += out.write(line + b"\n")
                        op.object_count += 1

                since = orders_since(self.data, self.faults.config.access_scopes)
                for payload, _ in iter_nodes(
                    self.data, op.shop, root.name, search, descending=reverse, created_since=since
                ):
                    if self._fail_now(op):
                        write(layout.flush(final=False))
                        raise _InjectedFailureError
                    op.root_object_count += 1
                    write(layout.add(list(rows_of(payload, None))))
                write(layout.flush(final=True))
            op.path = path
            op.url = f"{self.base_url()}/bulk/{op.number}.jsonl" if op.object_count else None
            op.completed_at = self.data.now
            op.ended = time.monotonic()
            op.status = "COMPLETED"
        except Exception as exc:  # the operation reports FAILED, as Shopify's do
            if not isinstance(exc, _InjectedFailureError):
                log.exception("bulk operation %s failed", op.gid)
            elif op.object_count:
                op.path = path
                op.partial_url = f"{self.base_url()}/bulk/{op.number}.jsonl"
            op.status = "FAILED"
            op.error_code = "INTERNAL_SERVER_ERROR"
            op.completed_at = self.data.now
            op.ended = time.monotonic()

    def _fail_now(self, op: BulkOperation) -> bool:
        """The ``bulk_fail_after`` fault: the first operation to reach that many roots fails."""
        limit = self.faults.config.bulk_fail_after
        if not limit or op.root_object_count < limit:
            return False
        with self._lock:
            if self._failed_once:
                return False
            self._failed_once = True
        return True


class _InjectedFailureError(Exception):
    pass


class _Layout:
    """Orders the lines of a result: grouped (parent then its children) or, by default, ungrouped
    (shuffled within a window of roots, a share of children carried into a later window)."""

    def __init__(self, grouped: bool, rng: random.Random) -> None:
        self.grouped = grouped
        self.rng = rng
        self.window: list[dict] = []
        self.roots = 0

    def add(self, rows: list[dict]) -> list[dict]:
        if self.grouped:
            return rows
        self.window.extend(rows)
        self.roots += 1
        return self.flush(final=False) if self.roots >= SHUFFLE_ROOTS else []

    def flush(self, final: bool) -> list[dict]:
        rows, self.window, self.roots = self.window, [], 0
        carried: set[str] = set()
        if not final:  # the children of some parents are written with the next window
            parents = sorted({r["__parentId"] for r in rows if "__parentId" in r})
            carried = {p for p in parents if self.rng.random() < CARRY_SHARE}
            self.window = [r for r in rows if r.get("__parentId") in carried]
            rows = [r for r in rows if r.get("__parentId") not in carried]
        order = list(range(len(rows)))
        self.rng.shuffle(order)
        shuffled = [rows[i] for i in order]
        # roots, and the children of each parent, keep their connection order: each group's
        # lines fill the slots the shuffle gave that group, in order
        groups: dict[str | None, list[dict]] = {}
        for row in rows:
            groups.setdefault(row.get("__parentId"), []).append(row)
        for group in groups.values():
            group.reverse()
        return [groups[row.get("__parentId")].pop() for row in shuffled]
