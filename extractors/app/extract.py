"""App API tables into raw_app (ids and updated_at per docs/raw-landing.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from extractors.app.client import AppClient
from extractors.load import EntityLoad
from extractors.records import RecordError, Row, dumps, iso, make_row

# entity -> (id field, updated_at field)
ENTITIES: dict[str, tuple[str, str]] = {
    "shops": ("shop_domain", "updated_at"),
    "decision_log": ("id", "created_at"),
    "ceo_time_entries": ("id", "updated_at"),
}


def row_maker(entity: str) -> Callable[[dict[str, Any]], Row]:
    id_field, stamp_field = ENTITIES[entity]
    return lambda r: make_row(r.get(id_field), r.get(stamp_field), r, stamp_field)


def extract_app_entity(
    client: AppClient, entity: str, load_for: Callable[[str], EntityLoad]
) -> None:
    """Read every page and land each record under its own ``shop_domain`` (one load per shop)."""
    to_row = row_maker(entity)
    loads: dict[str, EntityLoad] = {}
    for records in client.pages(entity):
        batches: dict[str, tuple[list[Row], list[tuple[str, str]]]] = {}
        for record in records:
            shop = record.get("shop_domain") if isinstance(record, dict) else None
            rows, bad = batches.setdefault(shop or "", ([], []))
            try:
                if not isinstance(record, dict):
                    raise RecordError("record is not an object")
                if not shop:
                    raise RecordError("missing shop_domain")
                rows.append(to_row(record))
            except RecordError as exc:
                bad.append((f"{entity}: {exc}", dumps(record)))
        for shop, (rows, bad) in batches.items():
            load = loads.get(shop) or load_for(shop)
            loads[shop] = load
            load.land(rows, bad)
        if loads:
            next(iter(loads.values())).commit()  # one connection: one commit for the page
    for load in loads.values():
        load.save({"complete_at": iso(datetime.now(UTC))})
    if loads:
        next(iter(loads.values())).commit()
