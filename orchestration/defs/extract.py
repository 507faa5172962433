"""Extraction assets: one per source entity, keyed ``[raw schema, table]`` like the dbt sources.

One multi-asset per source (subsettable), so a run that needs only ``raw_shopify/orders`` lands
only orders, while a full run extracts each source in one step with one API session.

Shopify, Chatwoot and GA4 are partitioned by shop (``defs/shops.py``): a run extracts the shops
of its partition(s) only. The app API is not: it serves every shop's records in one listing, so
a per-shop run would read all of them once per shop.
"""

import os
from collections.abc import Iterator
from typing import Any

import dagster as dg

from orchestration.defs.resources import ExtractionResource, WarehouseResource
from orchestration.defs.shops import shop_partitions

# docs/raw-landing.md, in landing order (parents before children).
ENTITIES: dict[str, tuple[str, ...]] = {
    "shopify": ("shops", "locations", "products", "inventory_levels", "customers", "orders"),
    "chatwoot": (
        "inboxes",
        "agents",
        "contacts",
        "conversations",
        "messages",
        "csat_survey_responses",
    ),
    "app": ("shops", "decision_log", "ceo_time_entries"),
    "ga4": ("traffic_daily", "traffic_hourly"),
}
DESCRIPTIONS = {
    "shopify": "Shopify Admin GraphQL API",
    "chatwoot": "Chatwoot REST API",
    "app": "the dashboard app's API",
    "ga4": "the Google Analytics 4 Data API (runReport)",
}


def raw_schema(source: str) -> str:
    return f"raw_{source}"


def raw_key(source: str, entity: str) -> dg.AssetKey:
    return dg.AssetKey([raw_schema(source), entity])


def raw_keys() -> list[dg.AssetKey]:
    return [raw_key(s, e) for s, entities in ENTITIES.items() for e in entities]


class ExtractConfig(dg.Config):
    full_refresh: bool = False  # re-read everything (bulk backfill) instead of the increment


# Sources a shop may not use at all: when their main setting is unset the assets materialize
# nothing (a warning and ``configured: false`` in the metadata) instead of failing every run
# that includes them, as a required source does.
OPTIONAL_SOURCES = {"ga4": "GA4_PROPERTY_ID"}

# Sources extracted per shop (one Dagster partition per configured shop).
PER_SHOP_SOURCES = ("shopify", "chatwoot", "ga4")

# Entities the extractor lands as part of another one (Chatwoot messages ride along with the
# conversations they belong to).
RIDES_WITH = {("chatwoot", "messages"): "conversations"}
_SUMMED = ("rows_read", "rows_inserted", "rows_updated", "rows_quarantined", "api_calls")


def ledger_metadata(rows: Any, entity: str) -> dict[str, Any]:
    """Load figures (summed over shops) from the extractor's load-ledger rows for one entity."""
    mine = [r for r in rows or [] if getattr(r, "entity", entity) == entity]
    out: dict[str, Any] = {name: sum(getattr(r, name, 0) or 0 for r in mine) for name in _SUMMED}
    out["shops"] = len({getattr(r, "shop_domain", "") for r in mine})
    out["throttled_waits"] = sum(getattr(r, "throttled_waits", 0) or 0 for r in mine)
    modes = sorted({str(getattr(r, "mode", "")) for r in mine} - {""})
    if modes:
        out["mode"] = ",".join(modes)
    return out


def per_shop_keys() -> list[dg.AssetKey]:
    """The raw tables extracted per shop partition."""
    return [raw_key(s, e) for s in PER_SHOP_SOURCES for e in ENTITIES[s]]


def _build(source: str, partitions: dg.PartitionsDefinition | None) -> dg.AssetsDefinition:
    entities = ENTITIES[source]
    specs = [
        dg.AssetSpec(
            key=raw_key(source, entity),
            group_name=f"raw_{source}",
            kinds={"python", "postgres"},
            description=f"`{raw_schema(source)}.{entity}` landed from {DESCRIPTIONS[source]}.",
            metadata={"dagster/table_name": f"{raw_schema(source)}.{entity}"},
            skippable=True,
        )
        for entity in entities
    ]

    @dg.multi_asset(
        name=f"extract_{source}", specs=specs, can_subset=True, partitions_def=partitions
    )
    def _extract(
        context: dg.AssetExecutionContext,
        config: ExtractConfig,
        extraction: ExtractionResource,
        warehouse: WarehouseResource,
    ) -> Iterator[dg.MaterializeResult]:
        url = warehouse.url()
        selected = context.selected_asset_keys
        optional = OPTIONAL_SOURCES.get(source)
        if optional and not os.environ.get(optional, "").strip():
            context.log.warning(f"{source} skipped: {optional} is not set (see .env.example)")
            for entity in entities:
                if raw_key(source, entity) in selected:
                    yield dg.MaterializeResult(
                        asset_key=raw_key(source, entity),
                        metadata={"configured": False, "rows_read": 0},
                    )
            return
        # the run's shops; a run without a partition (no shop configured yet) covers them all
        partitioned = context.has_partition_key or context.has_partition_key_range
        shops = list(context.partition_keys) if partitioned else None
        where = f" for {', '.join(shops)}" if shops is not None else ""
        landed: dict[str, Any] = {}
        for entity in entities:
            key = raw_key(source, entity)
            if key not in selected:
                continue
            parent = RIDES_WITH.get((source, entity))
            if parent is not None and parent in landed:
                rows = landed[parent]
            else:
                context.log.info(
                    f"extracting {entity} from {extraction.source_label(source)}{where}"
                )
                rows = extraction.extract(
                    url, source, entity, full=config.full_refresh, shops=shops
                )
                landed[entity] = rows
            yield dg.MaterializeResult(asset_key=key, metadata=ledger_metadata(rows, entity))

    return _extract


def extraction_assets(shops: dg.PartitionsDefinition | None = None) -> list[dg.AssetsDefinition]:
    """The four extraction multi-assets; the per-shop sources partitioned by ``shops`` (the
    configured shops when not given)."""
    shops = shops if shops is not None else shop_partitions()
    return [_build(s, shops if s in PER_SHOP_SOURCES else None) for s in ENTITIES]
