"""The load ledger's claim: one live run per entity, killed runs' rows closed as interrupted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from extractors import ledger
from extractors.errors import ExtractError
from extractors.ledger import LedgerRow
from sandbox.generator.shops import SHOPS
from warehouse.connection import connect

SHOP = SHOPS[0].domain


def test_a_killed_runs_running_rows_are_closed_as_interrupted(fresh_db, db_conn):
    dead = LedgerRow("run-dead", "chatwoot", SHOP, "conversations", "incremental")
    other_shop = LedgerRow("run-dead", "chatwoot", SHOPS[1].domain, "conversations", "full")
    done = LedgerRow("run-done", "chatwoot", SHOP, "conversations", "full", status="ok")
    for row in (dead, other_shop, done):
        ledger.write(fresh_db, row)
    conn = connect(fresh_db)
    try:
        closed = ledger.claim(conn, LedgerRow("run-new", "chatwoot", SHOP, "conversations", "full"))
    finally:
        conn.close()
    assert closed == 1
    with db_conn.cursor() as cur:
        cur.execute(
            "select batch_id, shop_domain, status, finished_at is not null, error "
            "from raw_app.load_ledger"
        )
        got = {(batch, shop): rest for batch, shop, *rest in cur.fetchall()}
    status, finished, error = got[("run-dead", SHOP)]
    assert (status, finished) == ("interrupted", True) and error.startswith("interrupted")
    # another shop's entity is another claim: its (live or dead) row is not touched here
    assert got[("run-dead", SHOPS[1].domain)][:2] == ["running", False]
    assert got[("run-done", SHOP)][0] == "ok"


def test_a_live_run_holds_its_entity_until_its_connection_closes(fresh_db):
    live = connect(fresh_db)
    try:
        ledger.claim(live, LedgerRow("run-live", "shopify", SHOP, "orders", "bulk"))
        second = connect(fresh_db)
        try:
            with pytest.raises(ExtractError) as err:
                ledger.claim(second, LedgerRow("run-2", "shopify", SHOP, "orders", "bulk"), 1)
            assert "being extracted by another run" in str(err.value)
            assert str(err.value).count("\n") == 0
        finally:
            second.close()
    finally:
        live.close()  # what a killed process's connection does too
    third = connect(fresh_db)
    try:
        assert ledger.claim(third, LedgerRow("run-3", "shopify", SHOP, "orders", "bulk"), 5) == 0
    finally:
        third.close()


def test_entities_a_run_left_undone_are_named_for_the_rerun(fresh_db):
    rows = [
        LedgerRow("run-1", "shopify", SHOP, "orders", "bulk", status="failed"),
        LedgerRow("run-2", "shopify", SHOP, "orders", "incremental", status="ok"),
        LedgerRow("run-1", "shopify", SHOPS[1].domain, "customers", "bulk", status="interrupted"),
        LedgerRow("run-1", "shopify", SHOP, "products", "bulk", status="ok"),
        LedgerRow("run-1", "chatwoot", SHOP, "contacts", "full", status="running"),
    ]
    for offset, row in enumerate(rows):
        row.started_at = row.started_at.replace(microsecond=0) + timedelta(seconds=offset)
        ledger.write(fresh_db, row)
    # orders: its last run ended ok; customers: one shop's last run was killed
    assert ledger.unfinished(fresh_db, "shopify") == {"customers"}
    assert ledger.unfinished(fresh_db, "chatwoot") == {"contacts"}
    assert ledger.unfinished(fresh_db, "app") == set()


def test_a_rerun_takes_what_the_last_run_left_undone_first(sandbox_store, fresh_db):
    from extractors import run
    from tests.extractors.conftest import FAST_RETRIES, serve
    from tests.extractors.sandbox_helpers import sandbox_settings

    ledger.write(
        fresh_db, LedgerRow("run-0", "chatwoot", SHOP, "contacts", "full", status="failed")
    )
    order: list[str] = []

    def record(load) -> None:
        if load.ledger.entity not in order:
            order.append(load.ledger.entity)

    server = serve(sandbox_store)
    try:
        cfg = sandbox_settings(server.url, sandbox_store)
        opts = run.RunOptions(progress=False, policy=FAST_RETRIES, on_commit=record)
        run.extract_source(fresh_db, cfg, "chatwoot", opts)
    finally:
        server.stop()
    assert order[0] == "contacts" and set(order) >= {"conversations", "agents", "inboxes"}
