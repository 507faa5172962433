"""Batched inserts into the store's SQLite tables."""

from __future__ import annotations

import sqlite3

from warehouse.json_codec import dumps, loads

__all__ = ["dumps", "loads"]  # the store's payload codec (compact, byte-identical to json)

BATCH = 5_000


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
