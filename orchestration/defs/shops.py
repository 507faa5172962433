"""Per-shop partitions: the configured shops, one Dagster partition each.

The partition set is read from configuration when the definitions load (``SHOPIFY_SHOP``, plus
the shops named by ``CHATWOOT_ACCOUNT_ID`` and ``GA4_PROPERTY_ID`` pairs; in the demo sandbox its
three shops). The extraction of Shopify, Chatwoot and GA4 is partitioned by shop, so each shop
is extracted by runs of its own (tag ``shop``): a failing or huge shop never holds the others
back, backfills are per shop, and ``dagster.yaml`` limits the queue to one run per shop at a time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import dagster as dg

SHOP_TAG = "shop"
# The range tags of a run that covers every shop at once (what `hotrod run` does).
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def _pair_shops(raw: str, first_shop: str) -> list[str]:
    """The shop of each ``id=shop_domain`` pair (a bare id belongs to the first Shopify shop)."""
    shops = []
    for part in (p.strip() for p in raw.split(",")):
        if part:
            shop = part.partition("=")[2].strip() or first_shop
            shops.append(shop)
    return [s for s in shops if s]


def configured_shops(env: Mapping[str, str] | None = None) -> list[str]:
    """Every shop the configuration names, sorted (empty when no source is configured)."""
    env = os.environ if env is None else env
    shopify = [s.strip() for s in env.get("SHOPIFY_SHOP", "").split(",") if s.strip()]
    first = shopify[0] if shopify else ""
    shops = set(shopify)
    for name in ("CHATWOOT_ACCOUNT_ID", "GA4_PROPERTY_ID"):
        shops.update(_pair_shops(env.get(name, ""), first))
    return sorted(shops)


def shop_partitions(env: Mapping[str, str] | None = None) -> dg.StaticPartitionsDefinition:
    return dg.StaticPartitionsDefinition(configured_shops(env))


def every_shop_tags(partitions: dg.PartitionsDefinition | None) -> dict[str, str]:
    """Run tags covering every shop partition in one run (empty when there is no shop)."""
    keys = partitions.get_partition_keys() if partitions is not None else []
    if not keys:
        return {}
    return {RANGE_START: keys[0], RANGE_END: keys[-1]}
