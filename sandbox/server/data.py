"""Access to the sandbox store for the HTTP handlers.

The server answers requests on many threads, and a bulk operation streams a whole table in the
background. The store reads from any thread (one SQLite connection per thread), so reads take no
lock; long scans are cut into keyset chunks so no cursor stays open across a slow client. Only
``advance`` and the derived-ordering cache take the lock. Derived orderings the store does not keep
(Chatwoot's newest-activity-first conversation list, contacts by id, inventory items grouped from
their levels) are built on first use and dropped when the business advances.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol

CHUNK = 2000


class RecordLike(Protocol):
    """What ``iter_records`` yields (sandbox.store.Record)."""

    id: str
    updated_at: datetime
    payload: dict
    parent_id: str | None


class StoreLike(Protocol):
    """The part of sandbox.store.SandboxStore the server uses (tests pass a fake)."""

    now: datetime

    def shops(self) -> list[dict]: ...

    def iter_records(
        self, source: str, entity: str, shop_domain: str, **kw: Any
    ) -> Iterator[RecordLike]: ...

    def count(
        self,
        source: str,
        entity: str,
        shop_domain: str,
        updated_since: Any = None,
        updated_until: Any = None,
    ) -> int: ...

    def get(self, source: str, entity: str, shop_domain: str, id: str) -> dict | None: ...

    def advance(self, days: int = 1) -> list[Any]: ...

    def delete(self, source: str, entity: str, shop_domain: str, id: str) -> dict | None: ...  # noqa: A002

    def rename_shop(self, shop_domain: str, name: str) -> dict | None: ...

    def set_sku(self, shop_domain: str, variant_gid: str, sku: str) -> tuple[dict, str] | None: ...

    def truth(self) -> dict: ...


class DataAccess:
    """The store's reads, its clock moves (under a lock) and cached derived orderings."""

    def __init__(self, store: StoreLike) -> None:
        self.store = store
        self.lock = threading.RLock()
        self._cache: dict[tuple, Any] = {}
        self._building: dict[tuple, threading.Lock] = {}
        self.version = 0
        self.changes: list[dict] = []  # every Change since start, as dicts, seq = index + 1
        self._shops = store.shops()

    # --- shops and accounts -------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self.store.now

    def shops(self) -> list[dict]:
        return list(self._shops)

    def shop(self, domain: str) -> dict | None:
        return next((s for s in self._shops if s["domain"] == domain), None)

    def shop_for_account(self, account_id: int) -> dict | None:
        return next(
            (s for s in self._shops if int(s["chatwoot_account_id"]) == int(account_id)), None
        )

    # --- records ------------------------------------------------------------------------

    def page(self, source: str, entity: str, shop: str | None, **kw: Any) -> list[Any]:
        """One bounded read (callers pass ``limit``)."""
        return list(self.store.iter_records(source, entity, shop, **kw))

    def scan(
        self,
        source: str,
        entity: str,
        shop: str | None,
        *,
        updated_since: datetime | None = None,
        updated_until: datetime | None = None,
        after: tuple[Any, str] | None = None,
        descending: bool = False,
        chunk: int = CHUNK,
    ) -> Iterator[Any]:
        """Every record in (updated_at, id) order (or its reverse), read in keyset chunks."""
        while True:
            rows = self.page(
                source,
                entity,
                shop,
                updated_since=updated_since,
                updated_until=updated_until,
                after=after,
                limit=chunk,
                descending=descending,
            )
            yield from rows
            if len(rows) < chunk:
                return
            after = (rows[-1].updated_at, rows[-1].id)

    def get(self, source: str, entity: str, shop: str, id: str) -> dict | None:  # noqa: A002
        return self.store.get(source, entity, shop, id)

    def project(self, source: str, entity: str, shop: str, paths: tuple[str, ...]) -> list[tuple]:
        """(id, value, ...) of every record: the JSON value at each of ``paths`` (``$.a.b``,
        None where absent). The store reads them without decoding whole payloads when it can
        (``SandboxStore.project``); otherwise they are taken from the decoded payloads."""
        project = getattr(self.store, "project", None)
        if project is not None:
            return project(source, entity, shop, paths)
        keys = [path.split(".")[1:] for path in paths]
        return [(r.id, *(_at(r.payload, k) for k in keys)) for r in self.scan(source, entity, shop)]

    def count(
        self,
        source: str,
        entity: str,
        shop: str,
        updated_since: int | None = None,
        updated_until: int | None = None,
    ) -> int:
        """Records last updated between two epoch seconds (inclusive; None: unbounded)."""
        return self.store.count(
            source, entity, shop, updated_since=updated_since, updated_until=updated_until
        )

    # --- derived orderings --------------------------------------------------------------

    def cached(self, key: tuple, build: Any) -> Any:
        """The value of ``build()`` for ``key`` at the current version, built once.

        Each key builds under its own lock, so a long build (every conversation of a large
        shop) never holds up requests needing another key; ``advance`` waits for none of them
        and a build finished for an older version is simply not kept.
        """
        with self.lock:
            version = self.version
            full = (version, *key)
            if full in self._cache:
                return self._cache[full]
            building = self._building.setdefault(full, threading.Lock())
        with building:
            with self.lock:
                if full in self._cache:
                    return self._cache[full]
            value = build()
            with self.lock:
                self._building.pop(full, None)
                if self.version == version:
                    self._cache = {k: v for k, v in self._cache.items() if k[0] == version}
                    self._cache[full] = value
            return value

    def inventory_items(self, shop: str) -> list[dict]:
        """Inventory items rebuilt from their levels, ordered by (updatedAt, id)."""

        def build() -> list[dict]:
            items: dict[str, dict] = {}
            for rec in self.scan("shopify", "inventory_levels", shop):
                level = dict(rec.payload)
                item = level.get("item") or {}
                item_id = item.get("id")
                if item_id is None:
                    continue
                entry = items.setdefault(
                    item_id,
                    {"id": item_id, "sku": item.get("sku"), "updatedAt": None, "tracked": True},
                )
                entry.setdefault("inventoryLevels", []).append(level)
                stamp = level.get("updatedAt")
                if stamp and (entry["updatedAt"] is None or stamp > entry["updatedAt"]):
                    entry["updatedAt"] = stamp
            for entry in items.values():
                entry["inventoryLevels"].sort(key=lambda lv: lv.get("id") or "")
            return sorted(items.values(), key=lambda i: (i["updatedAt"] or "", i["id"]))

        return self.cached(("inventory_items", shop), build)

    def conversation_order(self, shop: str) -> list[tuple[str, str, bool, int, int | None]]:
        """(id, status, assigned, inbox id, assignee id) of every conversation, newest
        ``last_activity_at`` first (Chatwoot's list order)."""

        def build() -> list[tuple[str, str, bool, int, int | None]]:
            rows = []
            paths = ("$.last_activity_at", "$.id", "$.status", "$.meta.assignee", "$.inbox_id")
            for record_id, last, number, status, assignee, inbox in self.project(
                "chatwoot", "conversations", shop, paths
            ):
                assignee = assignee or {}
                rows.append(
                    (
                        int(last or 0),
                        int(number or 0),
                        record_id,
                        str(status),
                        bool(assignee),
                        int(inbox or 0),
                        assignee.get("id"),
                    )
                )
            rows.sort(key=lambda t: (-t[0], -t[1]))
            return [r[2:] for r in rows]

        return self.cached(("conversations", shop), build)

    def id_order(self, source: str, entity: str, shop: str) -> list[str]:
        """Record ids of a small or id-paged entity in ascending numeric/text id order."""

        def build() -> list[str]:
            ids = [r.id for r in self.scan(source, entity, shop)]
            return sorted(ids, key=lambda i: (len(i), i) if i.isdigit() else (0, i))

        return self.cached(("ids", source, entity, shop), build)

    # --- time ---------------------------------------------------------------------------

    def advance(self, days: int) -> tuple[datetime, int]:
        with self.lock:
            changes = self.store.advance(days=days)
            for change in changes:
                self.changes.append(
                    {
                        "seq": len(self.changes) + 1,
                        "source": change.source,
                        "entity": change.entity,
                        "shop_domain": change.shop_domain,
                        "id": change.id,
                        "topic": change.topic,
                        "payload": change.payload,
                    }
                )
            self.version += 1
            self._cache.clear()
            self._building.clear()
            return self.store.now, len(changes)

    def delete(self, source: str, entity: str, shop: str, id: str) -> dict | None:  # noqa: A002
        """Delete a record and record the change (topic ``{entity}/delete``); the change."""
        with self.lock:
            payload = self.store.delete(source, entity, shop, id)
            if payload is None:
                return None
            change = {
                "seq": len(self.changes) + 1,
                "source": source,
                "entity": entity,
                "shop_domain": shop,
                "id": id,
                "topic": f"{entity}/delete",
                "payload": payload,
            }
            self.changes.append(change)
            self.version += 1
            self._cache.clear()
            self._building.clear()
            return change

    def rename_shop(self, shop: str, name: str) -> dict | None:
        """The merchant renames the shop; the change (``shop/update``), or None (no such shop)."""
        with self.lock:
            payload = self.store.rename_shop(shop, name)
            if payload is None:
                return None
            return self._merchant_action(shop, [("shops", "shop/update", payload)])[0]

    def set_sku(self, shop: str, variant_gid: str, sku: str) -> list[dict] | None:
        """The merchant changes a variant's SKU: products/update and inventory_items/update, one
        action (one Event-Id); the changes, or None (no such variant)."""
        with self.lock:
            changed = self.store.set_sku(shop, variant_gid, sku)
            if changed is None:
                return None
            product, item_gid = changed
            self._cache.clear()
            self._building.clear()
            item = next(i for i in self.inventory_items(shop) if i["id"] == item_gid)
            return self._merchant_action(
                shop,
                [
                    ("products", "products/update", product),
                    ("inventory_items", "inventory_items/update", item),
                ],
            )

    def _merchant_action(self, shop: str, records: list[tuple[str, str, dict]]) -> list[dict]:
        """Record the changes of one merchant action (they share ``action``: one Event-Id)."""
        action = f"action:{len(self.changes) + 1}"
        out = []
        for entity, topic, payload in records:
            change = {
                "seq": len(self.changes) + 1,
                "source": "shopify",
                "entity": entity,
                "shop_domain": shop,
                "id": payload["id"],
                "topic": topic,
                "payload": payload,
                "action": action,
            }
            self.changes.append(change)
            out.append(change)
        self.version += 1
        self._cache.clear()
        self._building.clear()
        return out

    def changes_since(self, seq: int) -> list[dict]:
        with self.lock:
            return self.changes[seq:]

    def truth(self) -> dict:
        with self.lock:
            return self.store.truth()


def _at(payload: Any, keys: list[str]) -> Any:
    """The value at a path of object keys, None where absent (as SQLite's ``->`` reads it)."""
    for key in keys:
        if not isinstance(payload, dict):
            return None
        payload = payload.get(key)
    return payload
