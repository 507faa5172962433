"""A record whose nested line (line item, variant, inventory level) was bad in a bulk result is
re-read and landed complete, in the same run or, when the run stops first, the next (issue 20
item 5)."""

from __future__ import annotations

import pytest

from extractors import run
from tests.extractors.conftest import FAST_RETRIES, serve
from tests.extractors.sandbox_helpers import (
    canon,
    query,
    raw_payloads,
    sandbox_settings,
    store_payloads,
)

NESTED = {"orders": "lineItems", "products": "variants"}


def _opts(**kw) -> run.RunOptions:
    return run.RunOptions(progress=False, policy=FAST_RETRIES, **kw)


def _faulty(store):
    server_mod = pytest.importorskip("sandbox.server")
    # A Shopify Plus shop's query cost limits (bucket 20,000 points, 1,000 restored per second:
    # shopify.dev "API rate limits"), so the page re-reads are not throttled to a crawl here.
    return serve(
        store,
        server_mod.FaultConfig(
            seed=7, malformed_rate=0.02, bucket_size=20_000.0, restore_rate=1_000.0
        ),
    )


def _assert_complete(db, store) -> None:
    for entity in ("orders", "products", "inventory_levels"):
        raw = raw_payloads(db, "shopify", entity)
        truth = store_payloads(store, "shopify", entity)
        missing = sorted(truth.keys() - raw.keys())
        assert not missing, f"{entity}: {len(missing)} records missing, e.g. {missing[:3]}"
        field = NESTED.get(entity)
        if field:
            short = [k for k in truth if len(raw[k].get(field) or []) != len(truth[k][field])]
            assert not short, f"{entity}: {len(short)} landed short of {field}, e.g. {short[:3]}"
        differ = [k for k in truth if canon(raw[k]) != canon(truth[k])]
        assert not differ, f"{entity}: {len(differ)} payloads differ, e.g. {differ[:3]}"


def _bad_nested_lines(db) -> int:
    return query(
        db,
        "select count(*) from raw_app.quarantine where source = 'shopify' "
        "and entity in ('orders', 'products', 'inventory_levels')",
    )[0][0]


def test_bad_nested_lines_are_re_read_in_the_same_run(sandbox_store, fresh_db):
    server = _faulty(sandbox_store)
    try:
        cfg = sandbox_settings(server.url, sandbox_store)
        rows = run.extract_source(fresh_db, cfg, "shopify", _opts())
    finally:
        server.stop()
    assert {r.status for r in rows} == {"ok"}
    assert _bad_nested_lines(fresh_db) > 0  # the faults did reach the bulk results
    _assert_complete(fresh_db, sandbox_store)
    notes = {
        entity: note
        for entity, note in query(
            fresh_db,
            "select entity, notes from raw_app.load_ledger where source = 'shopify' "
            "and entity in ('orders', 'products')",
        )
    }
    print(f"quarantined {_bad_nested_lines(fresh_db)} lines; ledger notes: {notes}")
    for entity in ("orders", "products"):
        assert "with a bad nested line re-read" in (notes.get(entity) or ""), notes
    state = query(fresh_db, "select state from raw_app.extract_state where source = 'shopify'")
    assert state and all("reread" not in s[0] for s in state), "a re-read left pending"


@pytest.mark.slow  # two faulty loads of ~3,000 orders, each re-reading windows by pages
def test_a_re_read_left_by_a_stopped_run_is_done_first_by_the_next(sandbox_store, fresh_db):
    class StopError(Exception):
        pass

    stopped: list[str] = []

    def stop_when_pending(load):
        if not stopped and load.ledger.entity == "orders" and load.state().get("reread"):
            stopped.append(load.shop)
            raise StopError("stopped before the re-read")

    server = _faulty(sandbox_store)
    try:
        cfg = sandbox_settings(server.url, sandbox_store)
        with pytest.raises(Exception, match="stopped before the re-read"):
            run.extract_entity(
                fresh_db,
                cfg,
                "shopify",
                "orders",
                options=_opts(on_commit=stop_when_pending),
            )
        pending = query(
            fresh_db,
            "select state from raw_app.extract_state where source = 'shopify' "
            "and entity = 'orders' and shop_domain = %s",
            (stopped[0],),
        )[0][0]
        assert pending["reread"]["ids"] or pending["reread"]["unknown"]
        run.extract_source(fresh_db, cfg, "shopify", _opts())
    finally:
        server.stop()
    _assert_complete(fresh_db, sandbox_store)
