"""What the sandbox store holds and hands out: its entities, records and changes, and the read
side of a store. A leaf module, so the store, the clock that advances it (generator/advance.py)
and the golden truth (truth.py) share these types without importing one another."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

ENTITIES: dict[str, tuple[str, ...]] = {
    "shopify": ("shops", "locations", "products", "inventory_levels", "customers", "orders"),
    "chatwoot": (
        "conversations",
        "messages",
        "agents",
        "inboxes",
        "contacts",
        "csat_survey_responses",
    ),
    "app": ("shops", "decision_log", "ceo_time_entries"),
}


@dataclass(frozen=True)
class Record:
    id: str
    updated_at: datetime
    payload: dict
    parent_id: str | None


@dataclass(frozen=True)
class Change:
    """One update made by ``advance()``; payload is the record's new landed payload."""

    source: str
    entity: str
    shop_domain: str
    id: str
    topic: str
    payload: dict


class StoreReader(Protocol):
    """The read side of a sandbox store (what the golden truth is computed from)."""

    now: datetime

    def shops(self) -> list[dict]: ...

    def personas(self) -> dict[str, str]: ...

    def iter_records(
        self, source: str, entity: str, shop_domain: str | None
    ) -> Iterator[Record]: ...

    def count(self, source: str, entity: str, shop_domain: str | None) -> int: ...
