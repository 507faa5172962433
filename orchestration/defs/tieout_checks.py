"""Tie-out asset checks (issue 18): after a build, our recent figures against the sources'.

``tie_out_shopify`` on ``marts/sales_metrics_daily`` and ``tie_out_chatwoot`` on
``marts/cx_conversations`` (rules and tolerances: orchestration/tieout.py). A mismatch fails the
check (ERROR) and its description names the shop, day and figure; a source that is not
configured fails it as a WARN naming the missing setting.
"""

from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg

from extractors.chatwoot.client import ChatwootClient
from extractors.errors import ConfigError
from extractors.http import HttpClient
from extractors.settings import from_env
from extractors.shopify.client import ShopifyClient
from orchestration import tieout
from orchestration.defs.resources import WarehouseResource
from warehouse.settings import marts_schema

SHOPIFY_CHECK = dg.AssetCheckKey(dg.AssetKey(["marts", "sales_metrics_daily"]), "tie_out_shopify")
CHATWOOT_CHECK = dg.AssetCheckKey(dg.AssetKey(["marts", "cx_conversations"]), "tie_out_chatwoot")


def shopify_clients() -> tuple[dict[str, Any], list[HttpClient]]:
    cfg = from_env().shopify()
    https, clients = [], {}
    for shop in cfg.shops:
        http = HttpClient(ShopifyClient.headers(cfg.access_token))
        https.append(http)
        clients[shop] = ShopifyClient(http, cfg.graphql_url(shop))
    return clients, https


def chatwoot_clients() -> tuple[dict[str, Any], list[HttpClient]]:
    cfg = from_env().chatwoot()
    https, clients = [], {}
    for account, shop in cfg.accounts:
        http = HttpClient(ChatwootClient.headers(cfg.api_token))
        https.append(http)
        clients[shop] = ChatwootClient(http, cfg.url, account)
    return clients, https


CHECKS: dict[dg.AssetCheckKey, tuple[str, Callable, Callable]] = {
    SHOPIFY_CHECK: ("Shopify", shopify_clients, tieout.tie_out_shopify),
    CHATWOOT_CHECK: ("Chatwoot", chatwoot_clients, tieout.tie_out_chatwoot),
}


def evaluate(key: dg.AssetCheckKey, conn: Any) -> dg.AssetCheckResult:  # noqa: ANN401
    source, make_clients, compare = CHECKS[key]
    try:
        clients, https = make_clients()
    except ConfigError as exc:
        return dg.AssetCheckResult(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{source} tie-out not run: {exc}",
        )
    try:
        figures = compare(conn, marts_schema(), clients)
    finally:
        for http in https:
            http.close()
    mismatches = [f.describe() for f in figures if not f.within_tolerance]
    description = (
        "mismatch: " + "; ".join(mismatches)
        if mismatches
        else f"{len(figures)} figures of {source} tie out"
    )
    return dg.AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=not mismatches,
        severity=dg.AssetCheckSeverity.ERROR,
        description=description,
        metadata={"figures": len(figures), "mismatches": len(mismatches)},
    )


def build_tieout_checks() -> list[dg.AssetChecksDefinition]:
    specs = [
        dg.AssetCheckSpec(
            name=key.name,
            asset=key.asset_key,
            description=f"our recent local days against {CHECKS[key][0]} (orchestration/tieout.py)",
        )
        for key in CHECKS
    ]

    @dg.multi_asset_check(specs=specs, can_subset=True, name="tie_out_sources")
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckResult]:
        with warehouse.connect() as conn:
            for key in context.selected_asset_check_keys:
                yield evaluate(key, conn)

    return [_check]
