"""Batched inserts into the store's SQLite tables."""

from __future__ import annotations

import json
import sqlite3

try:  # a dependency of dagster-dbt; ~15x faster than json and byte-identical for our payloads
    import orjson
except ImportError:  # pragma: no cover - the stdlib gives the same bytes, slower
    orjson = None

BATCH = 5_000


def dumps(payload: object) -> str:
    """Compact JSON; orjson and the stdlib produce the same text (so the store's bytes too)."""
    if orjson is not None:
        return orjson.dumps(payload).decode()
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def loads(text: str | bytes) -> object:
    if orjson is not None:
        return orjson.loads(text)
    return json.loads(text)


def seq_of(record_id: str) -> int:
    tail = record_id.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class Writer:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.records: list[tuple] = []
        self.pending: list[tuple] = []
        self.rows = 0

    def record(
        self,
        kind: str,
        shop: str,
        record_id: str,
        updated_at: int,
        payload: dict,
        parent_id: str | None = None,
    ) -> None:
        self.records.append(
            (kind, shop, record_id, seq_of(record_id), updated_at, parent_id, dumps(payload))
        )
        if len(self.records) >= BATCH:
            self.flush()

    def park(self, kind: str, shop: str, record_id: str, due: int, plan: dict) -> None:
        self.pending.append((kind, shop, record_id, due, dumps(plan)))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.records:
            self.conn.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)", self.records)
            self.rows += len(self.records)
            self.records.clear()
        if self.pending:
            self.conn.executemany("INSERT INTO pending VALUES (?, ?, ?, ?, ?)", self.pending)
            self.pending.clear()
