"""Extraction against the sandbox stand-ins: exact counts, idempotent reruns, resume, faults,
increments after the sandbox advances, malformed records (issue 4, ~3,000 orders)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from extractors import run
from tests.extractors.conftest import FAST_RETRIES, serve
from tests.extractors.sandbox_helpers import (
    advance_sandbox,
    assert_counts_exact,
    canon,
    query,
    raw_payloads,
    sandbox_env,
    sandbox_settings,
    store_payloads,
)


def _opts(**kw) -> run.RunOptions:
    return run.RunOptions(progress=False, policy=FAST_RETRIES, **kw)


def test_full_load_is_exact_and_a_second_run_adds_nothing(sandbox_store, fresh_db):
    server = serve(sandbox_store)
    try:
        cfg = sandbox_settings(server.url, sandbox_store)
        first = run.extract_all(fresh_db, cfg, _opts())
        assert_counts_exact(fresh_db, sandbox_store)
        assert sum(r.rows_inserted for r in first) > 10_000
        assert {r.status for r in first} == {"ok"}
        bulk = [r for r in first if r.source == "shopify" and r.entity == "orders"]
        assert {r.mode for r in bulk} == {"bulk"}

        second = run.extract_all(fresh_db, cfg, _opts())
        assert sum(r.rows_inserted + r.rows_updated for r in second) == 0
        assert_counts_exact(fresh_db, sandbox_store)
        orders = [r for r in second if r.source == "shopify" and r.entity == "orders"]
        assert {r.mode for r in orders} == {"incremental"}
    finally:
        server.stop()
    # the landed payloads are the sandbox's records, field for field
    for source, entity in (
        ("shopify", "orders"),
        ("shopify", "products"),
        ("shopify", "inventory_levels"),
        ("chatwoot", "messages"),
    ):
        raw = raw_payloads(fresh_db, source, entity)
        expected = store_payloads(sandbox_store, source, entity)
        assert raw.keys() == expected.keys()
        differ = [k for k in expected if canon(raw[k]) != canon(expected[k])]
        assert not differ[:5], f"{source}.{entity}: {len(differ)} payloads differ"
    ledger = query(
        fresh_db,
        "select count(*), count(*) filter (where status = 'ok'), min(api_calls), "
        "count(latency_p95_ms) from raw_app.load_ledger",
    )[0]
    assert ledger[0] == ledger[1] == ledger[3] > 0
    assert ledger[2] >= 1


def test_crash_after_a_committed_batch_then_rerun_is_exact(sandbox_store, fresh_db):
    server = serve(sandbox_store)
    try:
        cfg = sandbox_settings(server.url, sandbox_store)

        class CrashError(Exception):
            pass

        def crash_on_third(load):
            if load.ledger.entity == "orders" and load.commits == 3:
                raise CrashError("injected crash after page 3")

        small = run.RunOptions(
            progress=False, policy=FAST_RETRIES, on_commit=crash_on_third, batch_rows=200
        )
        with pytest.raises(CrashError):
            run.extract_entity(fresh_db, cfg, "shopify", "orders", options=small)
        # the bulk operation id is in the state and some (not all) orders are landed
        state = query(
            fresh_db,
            "select state from raw_app.extract_state where entity = 'orders'",
        )
        assert any("bulk" in s[0] for s in state)
        landed = query(fresh_db, "select count(*) from raw_shopify.orders")[0][0]
        assert landed < 3000
        failed = query(fresh_db, "select status, error from raw_app.load_ledger")
        assert ("failed", "injected crash after page 3") in failed

        run.extract_all(fresh_db, cfg, _opts())
        assert_counts_exact(fresh_db, sandbox_store)
    finally:
        server.stop()


def test_process_killed_mid_run_then_rerun_is_exact(sandbox_store, fresh_db):
    server = serve(sandbox_store)
    env = {**os.environ, **sandbox_env(server.url, sandbox_store)}
    env["HOTROD_DATABASE_URL"] = fresh_db.render()
    command = [sys.executable, "-m", "hotrod.cli", "extract", "all", "--quiet"]
    try:
        child = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=lambda: (
                signal.signal(signal.SIGINT, signal.SIG_DFL),
                signal.signal(signal.SIGTERM, signal.SIG_DFL),
            ),
        )
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and child.poll() is None:
            if query(fresh_db, "select count(*) from raw_shopify.orders")[0][0] > 0:
                break
            time.sleep(0.05)
        assert child.poll() is None, "the run finished before it could be killed"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        partial = query(fresh_db, "select count(*) from raw_shopify.orders")[0][0]
        assert 0 < partial < 3000

        rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        assert rerun.returncode == 0, rerun.stderr[-2000:]
        assert_counts_exact(fresh_db, sandbox_store)
    finally:
        server.stop()


def test_throttling_5xx_and_dropped_connections_end_exact(sandbox_store, fresh_db):
    faults_mod = pytest.importorskip("sandbox.server")
    faults = faults_mod.FaultConfig(
        seed=3,
        error_every=7,
        drop_at=11,
        drop_every=True,
        throttle_every=13,
        throttle_burst=2,
        retry_after=0.05,
        restore_rate=1000.0,
    )
    server = serve(sandbox_store, faults)
    try:
        cfg = sandbox_settings(server.url, sandbox_store)
        rows = run.extract_all(fresh_db, cfg, _opts())
        assert_counts_exact(fresh_db, sandbox_store)
        assert sum(r.throttled_waits for r in rows) > 0
        assert {r.status for r in rows} == {"ok"}
    finally:
        server.stop()


def test_incremental_run_after_a_day_picks_up_exactly_the_changes(own_store, fresh_db):
    server = serve(own_store)
    try:
        cfg = sandbox_settings(server.url, own_store)
        run.extract_all(fresh_db, cfg, _opts())
        changes = advance_sandbox(server.url)
        assert changes
        rows = run.extract_all(fresh_db, cfg, _opts())
        assert_counts_exact(fresh_db, own_store)
        assert {r.mode for r in rows if r.entity == "orders"} == {"incremental"}
    finally:
        server.stop()
    changed = {(c["source"], c["entity"], c["shop_domain"], str(c["id"])) for c in changes}
    touched = sum(
        r.rows_inserted + r.rows_updated for r in rows if r.source in ("shopify", "chatwoot")
    )
    assert touched == len({k for k in changed if k[0] in ("shopify", "chatwoot")})
    for source, entity in {(k[0], k[1]) for k in changed}:
        raw = raw_payloads(fresh_db, source, entity)
        expected = store_payloads(own_store, source, entity)
        assert raw.keys() == expected.keys()
        stale = [k for k in expected if canon(raw[k]) != canon(expected[k])]
        assert not stale, f"{source}.{entity}: {len(stale)} stale rows, e.g. {stale[:3]}"


@pytest.mark.parametrize("trigger", ["count", "dry bucket"])
def test_a_large_increment_continues_as_a_bulk_operation(own_store, fresh_db, caplog, trigger):
    """Past bulk_increment_after records, or as soon as the next page would wait for the shop's
    cost bucket, an increment switches to a filtered bulk operation (pages are cost-throttled,
    bulk operations are not) and still lands every change once."""
    server_mod = pytest.importorskip("sandbox.server")
    # a bucket of 400 points restoring 400/s: a page of 5 orders leaves too little for the next
    small_bucket = server_mod.FaultConfig(bucket_size=400, restore_rate=400)
    faults = None if trigger == "count" else small_bucket
    server = serve(own_store, faults)
    try:
        cfg = sandbox_settings(server.url, own_store)
        run.extract_all(fresh_db, cfg, _opts())
        changes = advance_sandbox(server.url)
        orders_changed = {
            (c["shop_domain"], str(c["id"]))
            for c in changes
            if c["source"] == "shopify" and c["entity"] == "orders"
        }
        assert len(orders_changed) > 30, "the day must change more orders than the threshold"
        threshold = 10 if trigger == "count" else 1_000_000
        small = _opts(page_size=5, bulk_increment_after=threshold, processes=False)
        with caplog.at_level("INFO", logger="extractors.shopify.extract"):
            rows = run.extract_all(fresh_db, cfg, small)
        assert_counts_exact(fresh_db, own_store)
    finally:
        server.stop()
    switched = [m for m in caplog.messages if "continuing as a bulk operation" in m]
    assert any(m.startswith("orders increment") for m in switched), caplog.messages[-20:]
    dry = [m for m in switched if "cost bucket is dry" in m]
    assert bool(dry) == (trigger != "count"), switched
    orders = [r for r in rows if r.source == "shopify" and r.entity == "orders"]
    assert sum(r.rows_inserted + r.rows_updated for r in orders) == len(orders_changed)
    raw = raw_payloads(fresh_db, "shopify", "orders")
    expected = store_payloads(own_store, "shopify", "orders")
    assert raw.keys() == expected.keys()
    stale = [k for k in expected if canon(raw[k]) != canon(expected[k])]
    assert not stale, f"{len(stale)} stale orders after the bulk increment, e.g. {stale[:3]}"
    state = query(
        fresh_db,
        "select state from raw_app.extract_state where source = 'shopify' and entity = 'orders'",
    )
    assert state and all("bulk" not in s[0] for s in state), "bulk state left behind"


def test_malformed_records_are_quarantined_and_the_run_succeeds(sandbox_store, fresh_db):
    server_mod = pytest.importorskip("sandbox.server")
    server = serve(sandbox_store, server_mod.FaultConfig(seed=5, malformed_rate=0.01))
    try:
        cfg = sandbox_settings(server.url, sandbox_store)
        rows = run.extract_all(fresh_db, cfg, _opts())
        assert {r.status for r in rows} == {"ok"}
        assert sum(r.rows_quarantined for r in rows) > 0
    finally:
        server.stop()
    bad = query(fresh_db, "select source, entity, reason, raw_text from raw_app.quarantine")
    assert bad
    assert all(reason and raw for _, _, reason, raw in bad)
    # nothing half-parsed got into the raw tables
    assert query(fresh_db, "select count(*) from raw_shopify.orders where id is null")[0][0] == 0
    # with the source fixed, a full reload lands everything exactly
    server = serve(sandbox_store)
    try:
        cfg = sandbox_settings(server.url, sandbox_store)
        run.extract_all(fresh_db, cfg, _opts(full=True))
        assert_counts_exact(fresh_db, sandbox_store)
    finally:
        server.stop()
