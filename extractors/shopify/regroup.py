"""Bulk JSONL back into records: each child (``__parentId``) under its parent, wherever it is.

Since API 2026-01 a bulk query's result is ungrouped by default: a child line may come before its
parent, after it, or far from it. A result whose lines fit in what is left of the process's
memory budget (``MemoryBudget``, shared by the results read side by side: a quarter of the
machine's memory unless ``HOTROD_BULK_MEMORY_MB`` sets it; a line costs about its size plus a
fixed cost) is held in memory: roots in file order, children listed under
their parent's id. A larger one is spilled to a temporary SQLite database on disk (roots in file
order, children keyed by their parent's id), then read back one root at a time with all its
children; its memory stays bounded by one batch, the disk holds about the size of the file (in
``TMPDIR``) until the result is landed. Both give the same records, problems and ids in the
same order.

A line already in the compact form ``dumps`` writes (the usual case) is parsed once, to file it;
a record made only of such lines is read back as text (:meth:`Spill.records`): its root line
with its children's lines spliced in, byte for byte what ``dumps`` of the parsed record gives,
without parsing the lines again and serialising the record.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractors.records import JSONDecodeError, dumps_bytes, loads

log = logging.getLogger(__name__)

INSERT_CHUNK = 5000  # lines per executemany into the spill
MEMORY_ENV = "HOTROD_BULK_MEMORY_MB"  # the budget below, in MB (0: every result on disk)
MEMORY_SHARE = 4  # by default a quarter of the machine's memory...
MEMORY_FLOOR_MB = 256  # ...and never less than this
LINE_COST = 128  # estimated bytes a held line costs besides its text (objects, list slots)
RESERVE_STEP = 1 << 20  # a result held in memory takes its share of the budget by this much


class MemoryBudget:
    """Bytes shared by the results held in memory at once (shops are read side by side)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def take(self, size: int) -> bool:
        with self._lock:
            if self.used + size > self.limit:
                return False
            self.used += size
            return True

    def give(self, size: int) -> None:
        with self._lock:
            self.used -= size

    def set_limit(self, limit: int) -> None:
        with self._lock:
            self.limit = limit


def default_memory_mb() -> int:
    """The results held in memory at once (estimated) in this process, at most, unless
    ``HOTROD_BULK_MEMORY_MB`` says otherwise: a quarter of the machine's memory (the largest of
    three 1M-order shops' orders results takes ~1.7 GB of it)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not a POSIX system
        return MEMORY_FLOOR_MB * MEMORY_SHARE
    return max(MEMORY_FLOOR_MB, (total // MEMORY_SHARE) >> 20)


BUDGET = MemoryBudget(default_memory_mb() << 20)


def _text(line: bytes) -> str:
    return line.decode("utf-8", errors="replace")


@dataclass(slots=True)  # not frozen: a frozen dataclass costs ~1 µs more per record
class Root:
    """One regrouped record (:meth:`Spill.records`): ``text`` (its JSON with its children, as
    ``dumps`` writes it) when it was built from the lines' text, else ``parsed`` (the record
    with its children, as :meth:`Spill.roots` gives it). ``id`` and ``updated`` (its
    ``updatedAt``) are set when ``text`` is: strings, or None when the record has none."""

    seq: int
    line: bytes  # the root's raw line
    text: bytes | None = None
    parsed: dict[str, Any] | None = None
    id: str | None = None
    updated: str | None = None


def _plain_root(obj: dict[str, Any], line: bytes, child_field: str | None) -> bool:
    """Can the record be read back as text: its line is what ``dumps`` writes, its children can
    be added at its end, its id and updatedAt are strings (or absent)?"""
    if child_field is not None and (child_field in obj or not obj):
        return False
    record_id, updated = obj.get("id"), obj.get("updatedAt")
    if not (record_id is None or isinstance(record_id, str)):
        return False
    if not (updated is None or isinstance(updated, str)):
        return False
    return dumps_bytes(obj) == line


def _parent_suffix(parent: str) -> bytes:
    return b',"__parentId":' + dumps_bytes(parent) + b"}"


def _child_text(obj: dict[str, Any], line: bytes, suffix: bytes) -> bytes | None:
    """The child as ``dumps`` writes it without its ``__parentId`` (a string, the last key of a
    line in that form), when its line is in that form and it has a string id; else None.
    ``suffix`` is ``_parent_suffix`` of its ``__parentId``."""
    if not isinstance(obj.get("id"), str) or next(reversed(obj)) != "__parentId":
        return None
    if not line.endswith(suffix) or dumps_bytes(obj) != line:
        return None
    return line[: -len(suffix)] + b"}"


def _child_line(parent: str, line: bytes | None, text: bytes | None) -> bytes:
    """A child's line as it was in the file (kept as its ``text`` when it has one)."""
    if line is not None:
        return line
    assert text is not None
    return text[:-1] + _parent_suffix(parent)


class Spill:
    """One bulk result, in memory or on disk: ``fill`` with every line, then ``records`` (or
    ``roots``) reads the records back.

    ``invalid`` lines (not JSON objects) and, at the end, ``orphans`` (children whose parent is
    not in the result) are reported as (reason, raw text) for quarantine.
    """

    def __init__(
        self, entity: str, child_field: str | None, budget: MemoryBudget | None = None
    ) -> None:
        self.entity = entity
        self.child_field = child_field
        self.budget = budget or BUDGET
        self._reserved = 0  # bytes taken from the budget
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self.db: sqlite3.Connection | None = None  # None while the result is held in memory
        # in memory: the lines as the disk's tables hold them (see _open_disk), in file order
        self._roots: list[tuple[Any, bytes, bool, Any]] = []
        self._children: list[tuple[str, bytes | None, bytes | None]] = []
        self._invalid: list[tuple[str, bytes]] = []
        self._kids: dict[str, list[tuple[str, bytes | None, bytes | None]]] = {}
        self.root_count = 0
        self.child_count = 0

    def _reserve(self, held: int) -> bool:
        """Take from the budget up to ``held`` bytes (and a step more); False when it has not."""
        size = held - self._reserved + RESERVE_STEP
        if not self.budget.take(size):
            return False
        self._reserved += size
        return True

    def _release(self) -> None:
        self.budget.give(self._reserved)
        self._reserved = 0

    def _open_disk(self) -> sqlite3.Connection:
        self._dir = tempfile.TemporaryDirectory(prefix="hotrod-bulk-")
        db = sqlite3.connect(Path(self._dir.name) / "spill.db", isolation_level=None)
        self.db = db
        db.execute("pragma journal_mode = off")
        db.execute("pragma synchronous = off")
        db.execute("pragma temp_store = file")
        # plain: the record can be read back as text (_plain_root); updated: its updatedAt then
        db.execute(
            "create table roots (seq integer primary key, id text, line blob, plain integer,"
            " updated text)"
        )
        # text: the child's line without its __parentId (_child_text), else null and the line
        # kept as it is (one of the two is stored: _child_line)
        db.execute(
            "create table children (seq integer primary key, parent text, line blob, text blob)"
        )
        db.execute("create table invalid (seq integer primary key, reason text, line blob)")
        return db

    # --- pass 1: every line filed ---------------------------------------------------------

    def fill(self, lines: Iterable[bytes]) -> None:
        roots, children, invalid = self._roots, self._children, self._invalid
        held: int | None = 0  # estimated bytes held in memory; None once on disk
        last_parent, suffix = None, b""
        for line in lines:
            if held is not None:
                held += len(line) + LINE_COST
                if held > self._reserved and not self._reserve(held):
                    # no more memory: every line so far, then the rest, to disk
                    self._open_disk().execute("begin")
                    self._flush(roots, children, invalid)
                    self._release()
                    held = None
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
                plain = _plain_root(obj, line, self.child_field)
                roots.append(
                    (
                        record_id if isinstance(record_id, str) else None,
                        line,
                        plain,
                        obj.get("updatedAt") if plain else None,
                    )
                )
                if held is None and len(roots) >= INSERT_CHUNK:
                    self._flush(roots, children, invalid)
            else:
                text = None
                if isinstance(parent, str):  # siblings are often side by side: one suffix
                    if parent != last_parent:
                        last_parent, suffix = parent, _parent_suffix(parent)
                    text = _child_text(obj, line, suffix)
                children.append((str(parent), None if text else line, text))
                if held is None and len(children) >= INSERT_CHUNK:
                    self._flush(roots, children, invalid)
        if self.db is None:
            self.root_count, self.child_count = len(roots), len(children)
            for child in children:
                self._kids.setdefault(child[0], []).append(child)
        else:
            self._flush(roots, children, invalid)
            self.db.execute("commit")
            self.db.execute("create index children_parent on children (parent, seq)")
            self.db.execute("create index roots_id on roots (id)")
        log.info(
            "%s bulk result %s: %d records, %d nested lines",
            self.entity,
            f"held in memory (~{held / 1e6:.0f} MB)" if held is not None else "spilled to disk",
            self.root_count,
            self.child_count,
        )

    def _flush(
        self,
        roots: list[tuple[Any, bytes, bool, Any]],
        children: list[tuple[str, bytes, bytes | None]],
        invalid: list[tuple[str, bytes]],
    ) -> None:
        assert self.db is not None
        if roots:
            self.db.executemany(
                "insert into roots (id, line, plain, updated) values (?, ?, ?, ?)", roots
            )
            self.root_count += len(roots)
            roots.clear()
        if children:
            self.db.executemany(
                "insert into children (parent, line, text) values (?, ?, ?)", children
            )
            self.child_count += len(children)
            children.clear()
        if invalid:
            self.db.executemany("insert into invalid (reason, line) values (?, ?)", invalid)
            invalid.clear()

    # --- pass 2: records back, one root at a time ------------------------------------------

    def roots(self, skip: int = 0) -> Iterator[tuple[int, dict[str, Any], bytes]]:
        """(position, parent with its children under ``child_field``, raw root line) in file
        order, after the first ``skip`` roots."""
        kids = self._kids_reader()
        for seq, record_id, line, _plain, _updated in self._root_rows(skip):
            yield seq, self._parsed(kids(record_id), record_id, line), line

    def records(self, skip: int = 0, as_text: bool = True) -> Iterator[Root]:
        """The records of :meth:`roots` (same order, same ``skip``), each as text when
        ``as_text`` and it and its children are plain lines (see the module's docstring), else
        parsed."""
        kids_of = self._kids_reader()
        field = self.child_field
        key = dumps_bytes(field) if field is not None else b""
        for seq, record_id, line, plain, updated in self._root_rows(skip):
            plain = plain and as_text
            if plain and field is None:
                yield Root(seq, line, text=line, id=record_id, updated=updated)
                continue
            kids = kids_of(record_id)
            if plain:
                texts = [text for _, _, text in kids]
                if None not in texts:
                    text = b"%s,%s:[%s]}" % (line[:-1], key, b",".join(texts))
                    yield Root(seq, line, text=text, id=record_id, updated=updated)
                    continue
            yield Root(seq, line, parsed=self._parsed(kids, record_id, line))

    def _root_rows(self, skip: int) -> Iterator[tuple[int, Any, bytes, Any, Any]]:
        """(seq, id, line, plain, updated) of the roots after the first ``skip``."""
        if self.db is None:
            start = max(skip, 0)
            for seq, (record_id, line, plain, updated) in enumerate(self._roots[start:], start + 1):
                yield seq, record_id, line, plain, updated
            return
        yield from self.db.execute(
            "select seq, id, line, plain, updated from roots where seq > ? order by seq", (skip,)
        )

    def _kids_reader(self) -> Callable[[str | None], Sequence[tuple[str, Any, Any]]]:
        """A function giving a root id's children (parent, line, text) in file order."""
        if self.db is None:
            held = self._kids
            return lambda record_id: held.get(record_id, ()) if record_id is not None else ()
        lookup = self.db.cursor()

        def on_disk(record_id: str | None) -> Sequence[tuple[str, Any, Any]]:
            if record_id is None:
                return ()
            return lookup.execute(
                "select parent, line, text from children where parent = ? order by seq",
                (record_id,),
            ).fetchall()

        return on_disk

    def _parsed(
        self, kids: Sequence[tuple[str, Any, Any]], record_id: str | None, line: bytes
    ) -> Any:
        """The root line parsed, with its children (parsed, without ``__parentId``)."""
        parent = loads(line)
        if self.child_field:
            children: list[Any] = []
            if record_id is not None:
                for _, line_or_none, text in kids:
                    child = loads(_child_line(record_id, line_or_none, text))
                    child.pop("__parentId", None)
                    children.append(child)
            parent[self.child_field] = children
        return parent

    def ids(self) -> Iterator[str]:
        """The id of every record in the result (streamed, in file order)."""
        if self.db is None:
            yield from (record_id for record_id, *_ in self._roots if record_id is not None)
            return
        for (record_id,) in self.db.execute(
            "select id from roots where id is not null order by seq"
        ):
            yield record_id

    def problems(self, partial: bool = False) -> Iterator[tuple[str, str]]:
        """Invalid lines, then children whose parent is not in the result (a partial result
        lacks parents it never reached: its orphans are left for the full run, not reported)."""
        if self.db is None:
            invalid: Iterable[tuple[str, bytes]] = self._invalid
        else:
            invalid = self.db.execute("select reason, line from invalid order by seq")
        for reason, line in invalid:
            yield reason, _text(line)
        if partial:
            return
        if self.db is None:
            ids = {record_id for record_id, *_ in self._roots if record_id is not None}
            orphans: Iterable[tuple[str, Any, Any]] = (
                child for child in self._children if child[0] not in ids
            )
        else:
            orphans = self.db.execute(
                "select parent, line, text from children c "
                "where not exists (select 1 from roots r where r.id = c.parent) order by seq"
            )
        for parent, line, text in orphans:
            yield (
                f"{self.entity}: child of {parent}: its parent is not in the result",
                _text(_child_line(parent, line, text)),
            )

    def close(self) -> None:
        self._roots, self._children, self._invalid, self._kids = [], [], [], {}
        self._release()
        if self.db is not None:
            self.db.close()
        if self._dir is not None:
            self._dir.cleanup()

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
