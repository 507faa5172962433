"""Bulk JSONL back into records: each child (``__parentId``) under its parent, wherever it is.

Since API 2026-01 a bulk query's result is ungrouped by default: a child line may come before its
parent, after it, or far from it. The lines are spilled to a temporary SQLite database on disk
(roots in file order, children keyed by their parent's id), then read back one root at a time with
all its children. Memory stays bounded by one batch whatever the size of the result; the disk
holds about the size of the file (in ``TMPDIR``) until the result is landed.

A line already in the compact form ``dumps`` writes (the usual case) is parsed once, to file it;
a record made only of such lines is read back as text (:meth:`Spill.records`): its root line
with its children's lines spliced in, byte for byte what ``dumps`` of the parsed record gives,
without parsing the lines again and serialising the record.
"""

from __future__ import annotations

import logging
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractors.records import JSONDecodeError, dumps_bytes, loads

log = logging.getLogger(__name__)

INSERT_CHUNK = 5000  # lines per executemany into the spill


def _text(line: bytes) -> str:
    return line.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
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


def _child_text(obj: dict[str, Any], line: bytes) -> bytes | None:
    """The child as ``dumps`` writes it without its ``__parentId`` (a string, the last key of a
    line in that form), when its line is in that form and it has a string id; else None."""
    parent = obj["__parentId"]
    if not isinstance(obj.get("id"), str) or not isinstance(parent, str):
        return None
    if next(reversed(obj)) != "__parentId":
        return None
    suffix = _parent_suffix(parent)
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
        # plain: the record can be read back as text (_plain_root); updated: its updatedAt then
        self.db.execute(
            "create table roots (seq integer primary key, id text, line blob, plain integer,"
            " updated text)"
        )
        # text: the child's line without its __parentId (_child_text), else null and the line
        # kept as it is (one of the two is stored: _child_line)
        self.db.execute(
            "create table children (seq integer primary key, parent text, line blob, text blob)"
        )
        self.db.execute("create table invalid (seq integer primary key, reason text, line blob)")
        self.root_count = 0
        self.child_count = 0

    # --- pass 1: every line to disk ------------------------------------------------------

    def fill(self, lines: Iterable[bytes]) -> None:
        roots: list[tuple[Any, bytes, bool, Any]] = []
        children: list[tuple[str, bytes, bytes | None]] = []
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
                plain = _plain_root(obj, line, self.child_field)
                roots.append(
                    (
                        record_id if isinstance(record_id, str) else None,
                        line,
                        plain,
                        obj.get("updatedAt") if plain else None,
                    )
                )
                if len(roots) >= INSERT_CHUNK:
                    self._flush(roots, children, invalid)
            else:
                text = _child_text(obj, line)
                children.append((str(parent), None if text else line, text))
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
        roots: list[tuple[Any, bytes, bool, Any]],
        children: list[tuple[str, bytes, bytes | None]],
        invalid: list[tuple[str, bytes]],
    ) -> None:
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
        lookup = self.db.cursor()
        rows = self.db.execute(
            "select seq, id, line from roots where seq > ? order by seq", (skip,)
        )
        for seq, record_id, line in rows:
            yield seq, self._parsed(lookup, record_id, line), line

    def records(self, skip: int = 0, as_text: bool = True) -> Iterator[Root]:
        """The records of :meth:`roots` (same order, same ``skip``), each as text when
        ``as_text`` and it and its children are plain lines (see the module's docstring), else
        parsed."""
        lookup = self.db.cursor()
        rows = self.db.execute(
            "select seq, id, line, plain, updated from roots where seq > ? order by seq", (skip,)
        )
        field = self.child_field
        for seq, record_id, line, plain, updated in rows:
            plain = plain and as_text
            if plain and field is None:
                yield Root(seq, line, text=line, id=record_id, updated=updated)
                continue
            if plain:
                kids = []
                if record_id is not None:
                    kids = lookup.execute(
                        "select text from children where parent = ? order by seq", (record_id,)
                    ).fetchall()
                if all(text is not None for (text,) in kids):
                    body = b",".join([text for (text,) in kids])
                    text = b"%s,%s:[%s]}" % (line[:-1], dumps_bytes(field), body)
                    yield Root(seq, line, text=text, id=record_id, updated=updated)
                    continue
            yield Root(seq, line, parsed=self._parsed(lookup, record_id, line))

    def _parsed(self, lookup: sqlite3.Cursor, record_id: str | None, line: bytes) -> Any:
        """The root line parsed, with its children (parsed, without ``__parentId``)."""
        parent = loads(line)
        if self.child_field:
            kids: list[Any] = []
            if record_id is not None:
                for line_or_none, text in lookup.execute(
                    "select line, text from children where parent = ? order by seq", (record_id,)
                ):
                    child = loads(_child_line(record_id, line_or_none, text))
                    child.pop("__parentId", None)
                    kids.append(child)
            parent[self.child_field] = kids
        return parent

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
            "select parent, line, text from children c "
            "where not exists (select 1 from roots r where r.id = c.parent) order by seq"
        )
        for parent, line, text in orphans:
            yield (
                f"{self.entity}: child of {parent}: its parent is not in the result",
                _text(_child_line(parent, line, text)),
            )

    def close(self) -> None:
        self.db.close()
        self._dir.cleanup()

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
