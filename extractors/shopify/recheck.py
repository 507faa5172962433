"""Which records a bulk result landed without one of their nested lines, so they are re-read.

A bulk result may hold a nested line (line item, variant, inventory level) that cannot be used: not
JSON (cut short, its ``__parentId`` lost), without an id, or whose parent line is itself bad. Its
parent must not be landed short. The parent is found from the line where it can be (``__parentId``,
or a GID of the parent's type in the text: a cut root line starts with its own id, a variant names
its ``product``, an inventory level its ``item``) and re-read by id; a line whose parent cannot be
told (a line item cut before its ``__parentId``, a root without an id) makes the extractor re-read
the result's whole window by pages. The pending re-read lives in the entity's state
(``{"ids": [...], "unknown": n, "window": search | None}``), so a run that stops before it is done
leaves it for the next run, which does it first.
"""

from __future__ import annotations

import re
from typing import Any

from extractors.records import dumps
from extractors.shopify.queries import NODE_TYPES, EntityQuery

_PARENT_ID = re.compile(r'"__parentId"\s*:\s*"(gid://shopify/[A-Za-z]+/\d+)"')


class Recheck:
    """Parents to re-read (in order, no repeats) and the count of bad lines with no known parent."""

    def __init__(self, entity: EntityQuery, pending: dict[str, Any] | None = None) -> None:
        self.entity = entity
        self._own = re.compile(rf'"(gid://shopify/{NODE_TYPES.get(entity.entity, "-")}/\d+)"')
        pending = pending or {}
        self.ids: dict[str, None] = dict.fromkeys(pending.get("ids") or [])
        self.unknown = int(pending.get("unknown") or 0)

    def __bool__(self) -> bool:
        return bool(self.ids) or self.unknown > 0

    def bad_children(self, parent: dict[str, Any]) -> list[tuple[str, str]]:
        """Nested lines of a regrouped record that have no id, quarantined (reason, raw text);
        when there are any the record is noted for a re-read (and must not be landed)."""
        field = self.entity.nested[0].field if self.entity.nested else None
        kids = parent.get(field) if field else None
        if not isinstance(kids, list):
            return []
        bad = [k for k in kids if not isinstance(k, dict) or not isinstance(k.get("id"), str)]
        if not bad:
            return []
        record = parent.get("id")
        self._note(record if isinstance(record, str) else None)
        reason = f"{self.entity.entity}: a {field} line without an id in {record}: it is re-read"
        return [(reason, dumps(k)) for k in bad]

    def rejected(self, parent: Any) -> None:
        """A regrouped record that was quarantined: re-read it by its id (unknown without one)."""
        record = parent.get("id") if isinstance(parent, dict) else None
        self._note(record if isinstance(record, str) else None)

    def line(self, text: str) -> None:
        """A bulk line quarantined before regrouping (not JSON, or a child whose parent line is
        missing): its parent (or itself, when it is a record) is re-read."""
        found = _PARENT_ID.search(text) or self._own.search(text)
        self._note(found.group(1) if found else None)

    def _note(self, record: str | None) -> None:
        if record:
            self.ids[record] = None
        else:
            self.unknown += 1

    def state(self, window: str | None) -> dict[str, Any]:
        return {"ids": list(self.ids), "unknown": self.unknown, "window": window}
