"""A large first load of orders split in two bulk queries by updated_at (issue 17): the parts
hold about half the orders each and every order exactly once; read side by side in processes or
one after the other, the load ends exact, with one ledger row and the entity's cursor; a run
stopped after one part resumes the other part only."""

from __future__ import annotations

import os
import signal
import time

import pytest

from extractors import run
from extractors.errors import ApiError, ExtractError
from extractors.http import HttpClient
from extractors.records import parse_timestamp
from extractors.settings import from_env
from extractors.shopify import split
from extractors.shopify.client import ShopifyClient
from tests.extractors.conftest import FAST_RETRIES, serve
from tests.extractors.sandbox_helpers import (
    canon,
    query,
    raw_payloads,
    sandbox_env,
    store_payloads,
)
from tests.extractors.test_kill_resume import _env, start_extract


def _opts(**kw) -> run.RunOptions:
    return run.RunOptions(progress=False, policy=FAST_RETRIES, **kw)


def _settings(server_url: str, store, split_min: int = 100):
    return from_env({**sandbox_env(server_url, store), "HOTROD_BULK_SPLIT_MIN": str(split_min)})


def _newest(store) -> dict[str, str]:
    """The newest order updatedAt per shop."""
    out: dict[str, str] = {}
    for (shop, _), payload in store_payloads(store, "shopify", "orders").items():
        if shop not in out or parse_timestamp(payload["updatedAt"]) > parse_timestamp(out[shop]):
            out[shop] = payload["updatedAt"]
    return out


def _orders_ops(server) -> list[str]:
    return [op.query for op in server.sandbox.bulk.ops.values() if "orders" in op.query]


def _assert_exact(url, store) -> None:
    expected = store_payloads(store, "shopify", "orders")
    landed = raw_payloads(url, "shopify", "orders")
    assert set(landed) == set(expected)
    assert not [k for k in expected if canon(landed[k]) != canon(expected[k])][:3]


def _assert_loaded_whole(url, store) -> None:
    """One state per shop for orders, loaded at the newest updatedAt; no part state left."""
    states = query(
        url, "select shop_domain, entity, state from raw_app.extract_state where entity ~ 'orders'"
    )
    newest = _newest(store)
    assert {(shop, entity) for shop, entity, _ in states} == {(s, "orders") for s in newest}
    for shop, _, state in states:
        assert state["loaded"] is True and "parts" not in state and "bulk" not in state
        assert parse_timestamp(state["cursor"]) == parse_timestamp(newest[shop])


def test_the_plan_splits_the_orders_in_two_halves_that_hold_each_order_once(sandbox_store):
    server = serve(sandbox_store)
    shop = sandbox_store.shops()[0]["domain"]
    http = HttpClient(ShopifyClient.headers("shpat_sandbox_token"), FAST_RETRIES)
    try:
        client = ShopifyClient(
            http, _settings(server.url, sandbox_store).shopify().graphql_url(shop)
        )
        total = client.orders_count()
        assert split.plan(client, 2, total + 1) is None  # too few orders: read whole
        searches = split.plan(client, 2, 100)
        assert searches is not None and len(searches) == 2
        counts = [client.orders_count(search) for search in searches]
    finally:
        http.close()
        server.stop()
    stamps = [
        parse_timestamp(p["updatedAt"])
        for (s, _), p in store_payloads(sandbox_store, "shopify", "orders").items()
        if s == shop
    ]
    assert total == len(stamps) and sum(counts) == total
    assert abs(counts[0] - total / 2) <= 0.1 * total, counts
    bound = parse_timestamp(searches[0].split("'")[1])
    assert counts[0] == sum(1 for t in stamps if t < bound)  # the stand-in counts exactly
    assert searches[1] == f"updated_at:>='{searches[0].split(chr(39))[1]}'"


def test_a_split_first_load_read_in_processes_is_exact_and_then_incremental(
    sandbox_store, fresh_db
):
    server = serve(sandbox_store)
    try:
        cfg = _settings(server.url, sandbox_store)
        rows = run.extract_entity(fresh_db, cfg, "shopify", "orders", options=_opts())
        ops = _orders_ops(server)
        again = run.extract_entity(fresh_db, cfg, "shopify", "orders", options=_opts())
    finally:
        server.stop()
    shops = {s["domain"] for s in sandbox_store.shops()}
    assert len(ops) == 2 * len(shops) and all("updated_at:" in q for q in ops)
    _assert_exact(fresh_db, sandbox_store)
    _assert_loaded_whole(fresh_db, sandbox_store)
    expected = store_payloads(sandbox_store, "shopify", "orders")
    per_shop = {s: sum(1 for shop, _ in expected if shop == s) for s in shops}
    assert {(r.shop_domain, r.status, r.mode, r.rows_read) for r in rows} == {
        (s, "ok", "bulk", n) for s, n in per_shop.items()
    }
    assert all(r.rows_inserted == r.rows_read and r.api_calls > 0 for r in rows)
    assert {(r.mode, r.rows_inserted) for r in again} == {("incremental", 0)}
    ledger = query(fresh_db, "select count(*) from raw_app.load_ledger where entity <> 'orders'")
    assert ledger == [(0,)]  # the parts write no ledger rows of their own


def test_a_split_read_stopped_after_one_part_resumes_the_other_part_only(
    sandbox_store, fresh_db, monkeypatch
):
    def first_then_stop(extractor, entity, load, pending, new_rows):
        extractor.read_part(entity, load.part(pending[0], new_rows))
        raise ApiError("stopped after one part")

    server = serve(sandbox_store)
    try:
        cfg = _settings(server.url, sandbox_store)
        monkeypatch.setattr(run, "_part_runner", lambda *args: first_then_stop)
        with pytest.raises(ExtractError, match="stopped after one part"):
            run.extract_entity(fresh_db, cfg, "shopify", "orders", options=_opts())
        parts = query(
            fresh_db,
            "select entity, state ? 'loaded', state ? 'bulk' from raw_app.extract_state "
            "where entity like 'orders.part%' order by entity",
        )
        first_ops = _orders_ops(server)
        monkeypatch.undo()
        rows = run.extract_entity(fresh_db, cfg, "shopify", "orders", options=_opts())
        ops = _orders_ops(server)
    finally:
        server.stop()
    shops = len(sandbox_store.shops())
    assert sorted({(e, loaded, bulk) for e, loaded, bulk in parts}) == [
        ("orders.part1of2", True, False),
        ("orders.part2of2", False, True),
    ]
    assert len(parts) == 2 * shops and len(first_ops) == shops  # the second part never started
    assert len(ops) == 2 * shops and ops[:shops] == first_ops  # the first part not read again
    assert all("updated_at:>=" in q for q in ops[shops:])
    assert {r.status for r in rows} == {"ok"}
    _assert_exact(fresh_db, sandbox_store)
    _assert_loaded_whole(fresh_db, sandbox_store)


def test_below_the_threshold_the_read_stays_whole(sandbox_store, fresh_db):
    server = serve(sandbox_store)
    try:
        cfg = _settings(server.url, sandbox_store, split_min=1_000_000)
        run.extract_entity(fresh_db, cfg, "shopify", "orders", options=_opts())
        ops = _orders_ops(server)
    finally:
        server.stop()
    assert len(ops) == len(sandbox_store.shops()) and not any("updated_at" in q for q in ops)
    _assert_loaded_whole(fresh_db, sandbox_store)


def test_a_refused_count_reads_the_orders_whole(sandbox_store, fresh_db, monkeypatch, caplog):
    def refused(*_args):
        raise ApiError("GraphQL errors: Field 'ordersCount' doesn't exist")

    monkeypatch.setattr(split, "plan", refused)
    server = serve(sandbox_store)
    try:
        cfg = _settings(server.url, sandbox_store)
        rows = run.extract_entity(fresh_db, cfg, "shopify", "orders", options=_opts())
        ops = _orders_ops(server)
    finally:
        server.stop()
    assert {r.status for r in rows} == {"ok"}
    assert len(ops) == len(sandbox_store.shops()) and not any("updated_at" in q for q in ops)
    assert any("no split read" in m and "reading it whole" in m for m in caplog.messages)
    _assert_exact(fresh_db, sandbox_store)
    _assert_loaded_whole(fresh_db, sandbox_store)


def test_parts_read_one_after_the_other_in_one_process_end_exact(sandbox_store, fresh_db):
    server = serve(sandbox_store)
    try:
        cfg = _settings(server.url, sandbox_store)
        run.extract_entity(fresh_db, cfg, "shopify", "orders", options=_opts(processes=False))
        assert len(_orders_ops(server)) == 2 * len(sandbox_store.shops())
    finally:
        server.stop()
    _assert_exact(fresh_db, sandbox_store)
    _assert_loaded_whole(fresh_db, sandbox_store)


PART_LOADED = (
    "select count(*) filter (where state ? 'loaded'), count(*) filter (where state ? 'bulk') "
    "from raw_app.extract_state where entity like 'orders.part%'"
)


def test_killed_while_the_parts_land_the_rerun_resumes_them_and_ends_exact(
    sandbox_store, fresh_db, tmp_path
):
    """``hotrod extract shopify --entity orders`` SIGKILLed (its process group: the parts'
    workers too) once a part is loaded while another is not; the rerun resumes them, exact."""
    faults = pytest.importorskip("sandbox.server").FaultConfig(delay_ms=20)  # slower answers
    server = serve(sandbox_store, faults)
    log = tmp_path / "extract.log"
    command = ("shopify", "--entity", "orders")
    try:
        env = _env(server.url, sandbox_store, fresh_db)
        env["HOTROD_BULK_SPLIT_MIN"] = "100"
        with log.open("a") as out:
            child = start_extract(env, out, *command)
            try:
                deadline = time.monotonic() + 300
                while child.poll() is None and time.monotonic() < deadline:
                    loaded, pending = query(fresh_db, PART_LOADED)[0]
                    if loaded and pending:
                        break
                    time.sleep(0.005)
                killed = child.poll() is None
                if killed:
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait(timeout=60)
            finally:
                if child.poll() is None:
                    os.killpg(child.pid, signal.SIGKILL)
                    child.wait(timeout=60)
        assert killed, log.read_text()[-3000:]  # the kill landed inside the parts
        left = query(fresh_db, "select count(*) from raw_app.extract_state where state ? 'parts'")
        assert left[0][0] >= 1
        with log.open("a") as out:
            rerun = start_extract(env, out, *command).wait(timeout=600)
        assert rerun == 0, log.read_text()[-3000:]
    finally:
        server.stop()
    _assert_exact(fresh_db, sandbox_store)
    _assert_loaded_whole(fresh_db, sandbox_store)
    statuses = dict(query(fresh_db, "select status, count(*) from raw_app.load_ledger group by 1"))
    assert "running" not in statuses and statuses.get("interrupted", 0) >= 1
