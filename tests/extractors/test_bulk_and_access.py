"""Against the stand-in: a failed bulk operation's partial data, then a restart, end exact; a
token without read_all_orders is said, recorded and flagged (issue 13 items 3 and 6)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from extractors import run
from extractors.http import HttpClient
from extractors.records import parse_timestamp
from extractors.shopify.client import ShopifyClient
from tests.extractors.conftest import FAST_RETRIES, serve
from tests.extractors.sandbox_helpers import (
    canon,
    query,
    raw_counts,
    raw_payloads,
    sandbox_settings,
    store_payloads,
    truth_counts,
)


def _opts(**kw) -> run.RunOptions:
    return run.RunOptions(progress=False, policy=FAST_RETRIES, **kw)


def test_partial_data_of_a_failed_operation_is_landed_then_the_rest(
    sandbox_store, fresh_db, caplog
):
    faults = pytest.importorskip("sandbox.server").FaultConfig(bulk_fail_after=300)
    server = serve(sandbox_store, faults)
    try:
        cfg = sandbox_settings(server.url, sandbox_store)
        with caplog.at_level(logging.INFO):
            rows = run.extract_source(fresh_db, cfg, "shopify", _opts())
        ops = server.sandbox.bulk.ops.values()
    finally:
        server.stop()
    failed = [op for op in ops if op.status == "FAILED"]
    assert len(failed) == 1 and failed[0].partial_url
    assert any("FAILED: starting it again" in m for m in caplog.messages)
    assert {r.status for r in rows} == {"ok"}
    expected_counts = {k: n for k, n in truth_counts(sandbox_store).items() if "shopify." in k[1]}
    assert raw_counts(fresh_db, expected_counts) == expected_counts
    # no record is left truncated: every order equals the store's, lines and all
    expected = store_payloads(sandbox_store, "shopify", "orders")
    landed = raw_payloads(fresh_db, "shopify", "orders")
    assert not [k for k in expected if canon(landed[k]) != canon(expected[k])][:3]
    state = query(fresh_db, "select count(*) from raw_app.extract_state where state ? 'bulk'")
    assert state == [(0,)]


def test_without_read_all_orders_the_short_history_is_said_recorded_and_flagged(
    sandbox_store, fresh_db, caplog
):
    server_mod = pytest.importorskip("sandbox.server")
    scopes = tuple(s for s in server_mod.FaultConfig().access_scopes if s != "read_all_orders")
    server = serve(sandbox_store, server_mod.FaultConfig(access_scopes=scopes))
    try:
        cfg = sandbox_settings(server.url, sandbox_store)
        with caplog.at_level(logging.WARNING):
            run.extract_entity(fresh_db, cfg, "shopify", "orders", options=_opts())
    finally:
        server.stop()
    lines = [m for m in caplog.messages if "read_all_orders" in m]
    shops = {s["domain"] for s in sandbox_store.shops()}
    assert len(lines) == len(shops) and all("older than 60 days" in m for m in lines)
    assert all("\n" not in m for m in lines)
    checks = query(
        fresh_db, "select shop_domain, check_name, passed, detail from raw_app.access_checks"
    )
    assert {(s, c, p) for s, c, p, _ in checks} == {
        (s, "shopify_read_all_orders", False) for s in shops
    }
    # the stand-in hid the orders created more than 60 days before its clock, as Shopify does
    cutoff = sandbox_store.now - timedelta(days=60)
    expected = {
        key
        for key, payload in store_payloads(sandbox_store, "shopify", "orders").items()
        if parse_timestamp(payload["createdAt"]) >= cutoff
    }
    landed = set(raw_payloads(fresh_db, "shopify", "orders"))
    assert landed == expected
    assert 0 < len(landed) < len(store_payloads(sandbox_store, "shopify", "orders"))
    # ordersCount counts what the app may see, as the orders connection does
    server = serve(sandbox_store, server_mod.FaultConfig(access_scopes=scopes))
    http = HttpClient(ShopifyClient.headers("shpat_sandbox_token"), FAST_RETRIES)
    try:
        shopify = sandbox_settings(server.url, sandbox_store).shopify()
        for shop in shops:
            client = ShopifyClient(http, shopify.graphql_url(shop))
            assert client.orders_count() == sum(1 for s, _ in expected if s == shop)
    finally:
        http.close()
        server.stop()


def test_with_read_all_orders_the_check_passes(sandbox_store, fresh_db):
    server = serve(sandbox_store)
    try:
        cfg = sandbox_settings(server.url, sandbox_store)
        run.extract_entity(fresh_db, cfg, "shopify", "orders", options=_opts())
    finally:
        server.stop()
    checks = query(fresh_db, "select distinct check_name, passed from raw_app.access_checks")
    assert checks == [("shopify_read_all_orders", True)]
    landed = query(fresh_db, "select count(*) from raw_shopify.orders")[0][0]
    assert landed == len(store_payloads(sandbox_store, "shopify", "orders"))
