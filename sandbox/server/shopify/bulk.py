"""Bulk operations: ``bulkOperationRunQuery`` runs the inner query in a background thread and
writes Shopify's JSONL: one line per root node, then one line per node of each nested
connection carrying ``__parentId`` (the parent's GID), parents before their children."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from graphql import GraphQLError, parse, validate
from graphql.language import OperationDefinitionNode

from sandbox.server.data import DataAccess
from sandbox.server.faults import FaultInjector
from sandbox.server.shopify.plan import Context, Field, compile_fields, field_value, projector
from sandbox.server.shopify.roots import CONNECTIONS, iter_nodes
from sandbox.server.shopify.search import parse_search
from warehouse.json_codec import dumps_bytes as dumps

log = logging.getLogger(__name__)
MAX_CONNECTIONS = 5
KEEP_RESULTS = 3  # result files kept per shop; older ones are deleted (their URL then 404s)
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
            "partialDataUrl": None,
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

    # --- lookups ------------------------------------------------------------------------

    def get(self, gid: str, shop: str) -> BulkOperation | None:
        try:
            number = int(gid.rsplit("/", 1)[1])
        except (IndexError, ValueError):
            return None
        op = self.ops.get(number)
        return op if op and op.shop == shop else None

    def current(self, shop: str) -> BulkOperation | None:
        mine = [op for op in self.ops.values() if op.shop == shop]
        return max(mine, key=lambda op: op.number) if mine else None

    def file_for(self, number: int) -> Path | None:
        op = self.ops.get(number)
        if op is None or op.status != "COMPLETED" or op.path is None:
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

    def start(self, shop: str, query: str) -> tuple[BulkOperation | None, list[dict]]:
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
            if running:
                return None, [
                    {
                        "field": None,
                        "message": "A bulk query operation for this app and shop is already in "
                        f"progress: {running[0].gid}.",
                        "code": "OPERATION_IN_PROGRESS",
                    }
                ]
            op = BulkOperation(next(_ids), shop, query, created_at=self.data.now)
            self.ops[op.number] = op
            self._expire(shop)
        thread = threading.Thread(target=self._run, args=(op, root), daemon=True)
        self.threads.append(thread)
        thread.start()
        return op, []

    def _expire(self, shop: str) -> None:
        """Delete all but the newest KEEP_RESULTS result files of a shop (a long-running
        ``serve`` would otherwise fill the disk; Shopify's URLs expire too)."""
        done = sorted(
            (op for op in self.ops.values() if op.shop == shop and op.path is not None),
            key=lambda op: op.number,
        )
        for old in done[:-KEEP_RESULTS]:
            if old.path is not None:
                old.path.unlink(missing_ok=True)
                old.path = None

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
            size = 0
            rows_of = self.emitter(root)
            malformed = self.faults.config.malformed_rate > 0
            # a large buffer: each small write would release the GIL and wait to get it back
            # from the request threads (up to the 5 ms switch interval per line)
            with path.open("wb", buffering=WRITE_BUFFER) as out:
                for payload, _ in iter_nodes(
                    self.data, op.shop, root.name, search, descending=reverse
                ):
                    op.root_object_count += 1
                    for row in rows_of(payload, None):
                        line = dumps(row)
                        if malformed and self.faults.is_malformed(row.get("id")):
                            line = self.faults.corrupt_line(line.decode(), row.get("id")).encode()
                        size += out.write(line + b"\n")
                        op.object_count += 1
            op.file_size = size
            op.path = path
            op.url = f"{self.base_url()}/bulk/{op.number}.jsonl" if op.object_count else None
            op.completed_at = self.data.now
            op.status = "COMPLETED"
        except Exception:  # the operation reports FAILED, as Shopify's do
            log.exception("bulk operation %s failed", op.gid)
            op.status = "FAILED"
            op.error_code = "INTERNAL_SERVER_ERROR"
            op.completed_at = self.data.now
