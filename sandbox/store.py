"""The sandbox store: a generated business in a cached SQLite file, read by the API stand-ins.

``SandboxStore.open(orders, seed, now)`` generates the business once per
(orders, seed, now, GENERATOR_VERSION) into ``<cache_dir>/sandbox-...sqlite`` (written to a temp
file, renamed when complete) and reuses it afterwards. The cached file is never modified: the
first ``advance()`` copies it to a private working file (removed by ``close()``).

Ordering everywhere is ``(updated_at, numeric id, id)``; ``after`` is an ``(updated_at, id)``
keyset cursor. ``updated_since``/``updated_until`` are inclusive bounds. A ``shop_domain`` of
None reads every shop (used for ``app.shops``, which also lists platform installs without data).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sandbox.generator import GENERATOR_VERSION, generate
from sandbox.generator.clock import floor_hour, from_epoch, iso, to_epoch
from sandbox.generator.schema import INDEXES, SCHEMA
from sandbox.generator.shops import SHOPS
from sandbox.generator.writer import dumps, loads
from sandbox.records import ENTITIES, Change, Record

__all__ = ["ENTITIES", "Change", "Record", "SandboxStore"]


_PATH = re.compile(r"\$(\.[A-Za-z_][A-Za-z0-9_]*)+")  # the JSON paths ``project`` reads


def seq_of(record_id: str) -> int:
    """The numeric part of an id, for Shopify-like (updated_at, id) ordering."""
    tail = record_id.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def default_cache_dir() -> Path:
    from warehouse.settings import hotrod_home

    return hotrod_home() / "sandbox"


def cache_path(cache_dir: Path, orders: int, seed: int, now: datetime) -> Path:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return cache_dir / f"sandbox-o{orders}-s{seed}-{stamp}-v{GENERATOR_VERSION}.sqlite"


def _kind(source: str, entity: str) -> str:
    if entity not in ENTITIES.get(source, ()):
        raise ValueError(f"unknown sandbox entity {source}.{entity}; known: {ENTITIES}")
    return f"{source}.{entity}"


def _epoch(value: datetime | int | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    return to_epoch(value)


class SandboxStore:
    """A generated business, readable from any thread; ``advance()`` moves its clock."""

    def __init__(self, path: Path, orders: int, seed: int) -> None:
        self.orders = orders
        self.seed = seed
        self.cached_path = path
        self._path = path
        self._working: Path | None = None
        self._local = threading.local()
        self._lock = threading.RLock()
        self._generation = 0
        self._connections: list[sqlite3.Connection] = []
        self._truth: tuple[int, dict] | None = None
        meta = self.meta()
        self.generated_now = from_epoch(int(meta["generated_now"]))
        self.now = from_epoch(int(meta["clock"]))

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        orders: int,
        seed: int,
        now: datetime | None = None,
        cache_dir: Path | None = None,
        progress: bool = False,
    ) -> SandboxStore:
        if orders < 1:
            raise ValueError("orders must be at least 1")
        now = floor_hour(datetime.now(UTC)) if now is None else now.astimezone(UTC)
        now = now.replace(microsecond=0)
        cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        cache_dir.mkdir(parents=True, exist_ok=True)
        path = cache_path(cache_dir, orders, seed, now)
        if not _is_complete(path):
            with _generation_lock(path):  # a second opener waits, then reuses the file
                if not _is_complete(path):
                    _generate_file(path, orders, seed, now, progress)
        return cls(path, orders, seed)

    @property
    def path(self) -> Path:
        """The SQLite file currently in use (the cached file until the first advance)."""
        return self._path

    def _conn(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "generation", -1) != self._generation:
            if self._working is None:
                uri = f"file:{self._path}?mode=ro&immutable=1"
            else:
                uri = f"file:{self._path}?mode=rw"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
            if self._working is not None:
                conn.execute("PRAGMA busy_timeout=10000")
            with self._lock:
                self._connections.append(conn)
            local.conn = conn
            local.generation = self._generation
        return local.conn

    def meta(self) -> dict[str, str]:
        return dict(self._conn().execute("SELECT key, value FROM meta").fetchall())

    # -- reading -------------------------------------------------------------------------
    def shops(self) -> list[dict]:
        return [shop.as_dict() for shop in SHOPS]

    def iter_records(
        self,
        source: str,
        entity: str,
        shop_domain: str | None,
        *,
        updated_since: datetime | None = None,
        updated_until: datetime | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int | None = None,
        parent_id: str | None = None,
        descending: bool = False,
    ) -> Iterator[Record]:
        where = ["kind = ?"]
        args: list = [_kind(source, entity)]
        if shop_domain is not None:
            where.append("shop = ?")
            args.append(shop_domain)
        if parent_id is not None:
            where.append("parent_id = ?")
            args.append(str(parent_id))
        if updated_since is not None:
            where.append("updated_at >= ?")
            args.append(_epoch(updated_since))
        if updated_until is not None:
            where.append("updated_at <= ?")
            args.append(_epoch(updated_until))
        if after is not None:
            op = "<" if descending else ">"
            where.append(f"(updated_at, seq, id) {op} (?, ?, ?)")
            args.extend((_epoch(after[0]), seq_of(str(after[1])), str(after[1])))
        direction = "DESC" if descending else "ASC"
        sql = (
            "SELECT id, updated_at, payload, parent_id FROM records WHERE "
            + " AND ".join(where)
            + f" ORDER BY updated_at {direction}, seq {direction}, id {direction}"
        )
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        cursor = self._conn().execute(sql, args)
        try:
            while rows := cursor.fetchmany(500):
                for record_id, updated, payload, parent in rows:
                    yield Record(record_id, from_epoch(updated), loads(payload), parent)
        finally:
            cursor.close()

    def count(
        self,
        source: str,
        entity: str,
        shop_domain: str | None,
        updated_since: datetime | int | None = None,
        updated_until: datetime | int | None = None,
    ) -> int:
        """Records of a kind (and shop) last updated in ``updated_since``..``updated_until``
        (inclusive, whole seconds)."""
        where = ["kind = ?"]
        args: list = [_kind(source, entity)]
        if shop_domain is not None:
            where.append("shop = ?")
            args.append(shop_domain)
        if updated_since is not None:
            where.append("updated_at >= ?")
            args.append(_epoch(updated_since))
        if updated_until is not None:
            where.append("updated_at <= ?")
            args.append(_epoch(updated_until))
        sql = "SELECT count(*) FROM records WHERE " + " AND ".join(where)
        return int(self._conn().execute(sql, args).fetchone()[0])

    def project(
        self, source: str, entity: str, shop_domain: str, paths: tuple[str, ...]
    ) -> list[tuple]:
        """(id, value, ...) of every record of a kind and shop: the JSON value at each of
        ``paths`` (``$.a.b``; None where absent), read by SQLite without decoding whole
        payloads (a conversation list of ~100,000 records is built in a third of the time)."""
        for path in paths:
            if not _PATH.fullmatch(path):
                raise ValueError(f"unsupported JSON path {path!r}")
        columns = "".join(f", payload -> '{path}'" for path in paths)
        cursor = self._conn().execute(
            f"SELECT id{columns} FROM records WHERE kind = ? AND shop = ?",  # noqa: S608 - checked
            (_kind(source, entity), shop_domain),
        )
        return [(row[0], *(None if v is None else loads(v) for v in row[1:])) for row in cursor]

    def get(self, source: str, entity: str, shop_domain: str | None, id: str) -> dict | None:  # noqa: A002
        sql = "SELECT payload FROM records WHERE kind = ? AND id = ?"
        args: list = [_kind(source, entity), str(id)]
        if shop_domain is not None:
            sql += " AND shop = ?"
            args.append(shop_domain)
        row = self._conn().execute(sql, args).fetchone()
        return loads(row[0]) if row else None

    def personas(self) -> dict[str, str]:
        """The hidden persona of every customer GID (for scoring segmentation)."""
        rows = self._conn().execute("SELECT id, persona FROM personas ORDER BY shop, id")
        return dict(rows.fetchall())

    # -- changing ------------------------------------------------------------------------
    def advance(self, days: int = 1) -> list[Change]:
        """Move the clock ``days`` forward; returns the changes in the order they happened."""
        from sandbox.generator.advance import advance_store

        if days < 1:
            raise ValueError("days must be at least 1")
        with self._lock:
            self._ensure_working_copy()
            conn = self._conn()
            changes = advance_store(conn, self.seed, days)
            self.now = from_epoch(int(self.meta()["clock"]))
            self._truth = None
            return changes

    def delete(self, source: str, entity: str, shop_domain: str, id: str) -> dict | None:  # noqa: A002
        """Delete a record, as a merchant deleting it in the admin; its last payload, or None."""
        with self._lock:
            payload = self.get(source, entity, shop_domain, id)
            if payload is None:
                return None
            self._ensure_working_copy()
            self._conn().execute(
                "DELETE FROM records WHERE kind = ? AND shop = ? AND id = ?",
                (_kind(source, entity), shop_domain, str(id)),
            )
            self._truth = None
            return payload

    def rename_shop(self, shop_domain: str, name: str) -> dict | None:
        """The merchant renames the shop in its settings (Shopify sends shop/update); the shop's
        new payload, or None for an unknown shop."""
        with self._lock:
            row = (
                self._conn()
                .execute(
                    "SELECT id, payload FROM records WHERE kind = 'shopify.shops' AND shop = ?",
                    (shop_domain,),
                )
                .fetchone()
            )
            if row is None:
                return None
            self._ensure_working_copy()
            payload = loads(row[1])
            payload["name"] = name
            payload["updatedAt"] = iso(to_epoch(self.now))
            self._conn().execute(
                "UPDATE records SET payload = ?, updated_at = ? "
                "WHERE kind = 'shopify.shops' AND shop = ? AND id = ?",
                (dumps(payload), to_epoch(self.now), shop_domain, row[0]),
            )
            self._truth = None
            return payload

    def set_sku(self, shop_domain: str, variant_gid: str, sku: str) -> tuple[dict, str] | None:
        """The merchant changes a variant's SKU (its inventory item's SKU: Shopify sends
        products/update and inventory_items/update); (the product's new payload, the inventory
        item's GID), or None when the shop has no such variant."""
        with self._lock:
            conn = self._conn()
            rows = conn.execute(
                "SELECT id, payload FROM records WHERE kind = 'shopify.products' AND shop = ?",
                (shop_domain,),
            ).fetchall()
            found = next(
                (
                    (product_id, product, variant)
                    for product_id, product in ((r[0], loads(r[1])) for r in rows)
                    for variant in product["variants"]
                    if variant["id"] == variant_gid
                ),
                None,
            )
            if found is None:
                return None
            product_id, product, variant = found
            self._ensure_working_copy()
            conn = self._conn()
            stamp = iso(to_epoch(self.now))
            variant["sku"] = sku
            variant["updatedAt"] = product["updatedAt"] = stamp
            conn.execute(
                "UPDATE records SET payload = ?, updated_at = ? "
                "WHERE kind = 'shopify.products' AND shop = ? AND id = ?",
                (dumps(product), to_epoch(self.now), shop_domain, product_id),
            )
            item = (variant.get("inventoryItem") or {}).get("id")
            levels = conn.execute(
                "SELECT id, payload FROM records "
                "WHERE kind = 'shopify.inventory_levels' AND shop = ? AND parent_id = ?",
                (shop_domain, item),
            ).fetchall()
            for level_id, level_text in levels:
                level = loads(level_text)
                level["item"]["sku"] = sku
                conn.execute(
                    "UPDATE records SET payload = ? "
                    "WHERE kind = 'shopify.inventory_levels' AND shop = ? AND id = ?",
                    (dumps(level), shop_domain, level_id),
                )
            self._truth = None
            return product, str(item)

    def _ensure_working_copy(self) -> None:
        if self._working is not None:
            return
        fd, name = tempfile.mkstemp(
            prefix=self.cached_path.stem + ".live-", suffix=".sqlite", dir=self.cached_path.parent
        )
        os.close(fd)
        working = Path(name)
        shutil.copyfile(self.cached_path, working)
        conn = sqlite3.connect(working, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.close()
        self._working = working
        self._path = working
        self._generation += 1

    def truth(self) -> dict:
        from sandbox.truth import compute_truth

        with self._lock:
            clock = to_epoch(self.now)
            if self._truth is None or self._truth[0] != clock:
                self._truth = (clock, self._cached_truth() or compute_truth(self))
                if self._working is None:
                    _write_atomically(self._truth_path(), json.dumps(self._truth[1]))
            return json.loads(json.dumps(self._truth[1]))

    def _truth_path(self) -> Path:
        from sandbox.truth import TRUTH_VERSION

        return self.cached_path.with_suffix(f".truth-v{TRUTH_VERSION}.json")

    def _cached_truth(self) -> dict | None:
        """The pristine store's truth, saved next to it the first time it was computed."""
        path = self._truth_path()
        if self._working is not None or not path.exists():
            return None
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(sqlite3.ProgrammingError):
                    conn.close()
            self._connections.clear()
            self._generation += 1
            if self._working is not None:
                for suffix in ("", "-wal", "-shm"):
                    Path(str(self._working) + suffix).unlink(missing_ok=True)

    def __enter__(self) -> SandboxStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def _generation_lock(path: Path) -> Iterator[None]:
    lock = path.with_suffix(".lock")
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _generate_file(path: Path, orders: int, seed: int, now: datetime, progress: bool) -> None:
    """Generate into a temp file next to ``path`` and rename it into place when complete."""
    fd, tmp_name = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tmp.unlink()
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA cache_size=-65536")
            conn.executescript(SCHEMA)
            conn.execute("BEGIN")
            generate(conn, orders, seed, to_epoch(now), progress=progress, scratch=path.parent)
            conn.execute("COMMIT")
            if progress:
                print("sandbox: indexing the store ...", file=sys.stderr, flush=True)
            conn.executescript(INDEXES)
            conn.execute("INSERT INTO meta VALUES ('complete', '1')")
        finally:
            conn.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_atomically(path: Path, text: str) -> None:
    fd, name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(name, path)
    finally:
        Path(name).unlink(missing_ok=True)


def _is_complete(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'complete'").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False
    return bool(row and row[0] == "1")
