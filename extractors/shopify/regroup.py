"""Bulk JSONL back into records: each child (``__parentId``) under its parent, wherever it is.

Since API 2026-01 a bulk query's result is ungrouped by default: a child line may come before its
parent, after it, or far from it. The lines are spilled to a temporary SQLite database on disk
(roots in file order, children keyed by their parent's id), then read back one root at a time with
all its children. Memory stays bounded by one batch whatever the size of the result; the disk
holds about the size of the file (in ``TMPDIR``) until the result is landed.
"""

from __future__ import annotations

import logging
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from extractors.records import JSONDecodeError, loads

log = logging.getLogger(__name__)

INSERT_CHUNK = 5000  # lines per executemany into the spill


def _text(line: bytes) -> str:
    return line.decode("utf-8", errors="replace")


class Spill:
    """One bulk result on disk: ``add`` every line, then ``roots`` reads the records back.

    ``invalid`` lines (not JSON objects) and, at the end, ``orphans`` (children whose parent is
    not in the result) are reported as (reason, raw text) for quarantine.
    """

    def __init__(self, entity: str, child_field: str | None) -> None:
        self.entity = entity
        self.child_field = child_field
        self._dir = tempfile.TemporaryDirectory(prefix="hotrod-bulk-")
        self.db = sqlite3.connect(Path(self._dir.name) / "spill.db", isolation_level=None)
        self.db.execute("pragma journal_mode = off")
        self.db.execute("pragma synchronous = off")
        self.db.execute("pragma temp_store = file")
        self.db.execute("create table roots (seq integer primary key, id text, line blob)")
        self.db.execute("create table children (seq integer primary key, parent text, line blob)")
        self.db.execute("create table invalid (seq integer primary key, reason text, line blob)")
        self.root_count = 0
        self.child_count = 0

    # --- pass 1: every line to disk ------------------------------------------------------

    def fill(self, lines: Iterable[bytes]) -> None:
        roots: list[tuple[Any, bytes]] = []
        children: list[tuple[str, bytes]] = []
        invalid: list[tuple[str, bytes]] = []
        self.db.execute("begin")
        for line in lines:
            try:
                obj = loads(line)
                if not isinstance(obj, dict):
                    raise ValueError("not an object")
            except (JSONDecodeError, ValueError) as exc:
                invalid.append((f"{self.entity}: invalid JSONL line ({exc})", line))
                continue
            parent = obj.get("__parentId")
            if parent is None:
                record_id = obj.get("id")
                roots.append((record_id if isinstance(record_id, str) else None, line))
                if len(roots) >= INSERT_CHUNK:
                    self._flush(roots, children, invalid)
            else:
                children.append((str(parent), line))
                if len(children) >= INSERT_CHUNK:
                    self._flush(roots, children, invalid)
        self._flush(roots, children, invalid)
        self.db.execute("commit")
        self.db.execute("create index children_parent on children (parent, seq)")
        self.db.execute("create index roots_id on roots (id)")
        log.info(
            "%s bulk result spilled: %d records, %d nested lines",
            self.entity,
            self.root_count,
            self.child_count,
        )

    def _flush(
        self,
        roots: list[tuple[Any, bytes]],
        children: list[tuple[str, bytes]],
        invalid: list[tuple[str, bytes]],
    ) -> None:
        if roots:
            self.db.executemany("insert into roots (id, line) values (?, ?)", roots)
            self.root_count += len(roots)
            roots.clear()
        if children:
            self.db.executemany("insert into children (parent, line) values (?, ?)", children)
            self.child_count += len(children)
            children.clear()
        if invalid:
            self.db.executemany("insert into invalid (reason, line) values (?, ?)", invalid)
            invalid.clear()

    # --- pass 2: records back, one root at a time ------------------------------------------

    def roots(self, skip: int = 0) -> Iterator[tuple[int, dict[str, Any], bytes]]:
        """(position, parent with its children under ``child_field``, raw root line) in file
        order, after the first ``skip`` roots."""
        lookup = self.db.cursor()
        rows = self.db.execute(
            "select seq, id, line from roots where seq > ? order by seq", (skip,)
        )
        for seq, record_id, line in rows:
            parent = loads(line)
            if self.child_field:
                kids: list[Any] = []
                if record_id is not None:
                    for (child_line,) in lookup.execute(
                        "select line from children where parent = ? order by seq", (record_id,)
                    ):
                        child = loads(child_line)
                        child.pop("__parentId", None)
                        kids.append(child)
                parent[self.child_field] = kids
            yield seq, parent, line

    def ids(self) -> Iterator[str]:
        """The id of every record in the result (streamed, in file order)."""
        for (record_id,) in self.db.execute(
            "select id from roots where id is not null order by seq"
        ):
            yield record_id

    def problems(self, partial: bool = False) -> Iterator[tuple[str, str]]:
        """Invalid lines, then children whose parent is not in the result (a partial result
        lacks parents it never reached: its orphans are left for the full run, not reported)."""
        for reason, line in self.db.execute("select reason, line from invalid order by seq"):
            yield reason, _text(line)
        if partial:
            return
        orphans = self.db.execute(
            "select parent, line from children c "
            "where not exists (select 1 from roots r where r.id = c.parent) order by seq"
        )
        for parent, line in orphans:
            yield f"{self.entity}: child of {parent}: its parent is not in the result", _text(line)

    def close(self) -> None:
        self.db.close()
        self._dir.cleanup()

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
