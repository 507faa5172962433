"""A shop's first landing COPYs straight into the raw table; a row already there sends the batch
through the merge (newest wins) instead, with the same counts and rows either way."""

from __future__ import annotations

from extractors import landing
from extractors.http import CallStats
from extractors.ledger import LedgerRow
from extractors.load import EntityLoad
from extractors.progress import Progress
from extractors.records import make_row
from warehouse.connection import connect

TABLE = "raw_shopify.orders"
SHOP = "s.myshopify.com"


def _row(rid: str, when: str, **payload):
    return make_row(rid, when, {"id": rid, "updatedAt": when, **payload})


def _stored(cur) -> dict[str, tuple]:
    cur.execute(
        "select id, payload, batch_id, extracted_at is not null from raw_shopify.orders "
        "where shop_domain = %s",
        (SHOP,),
    )
    return {rid: (payload, batch, extracted) for rid, payload, batch, extracted in cur}


def test_insert_new_copies_new_rows_and_refuses_a_stored_one(fresh_db):
    conn = connect(fresh_db)
    try:
        cur = conn.cursor()
        assert not landing.holds_shop(cur, TABLE, SHOP)
        text = 'fits:1932 "Ford"\\ Model\tB — ñ'
        rows = [
            _row("a", "2026-01-01T00:00:00Z", v=1, title=text),
            _row("b\\1", "2026-01-01T00:00:00Z"),
        ]
        assert landing.insert_new(cur, TABLE, SHOP, "run\\1", rows) == 2
        assert landing.holds_shop(cur, TABLE, SHOP)
        assert not landing.holds_shop(cur, TABLE, "other.myshopify.com")
        stored = _stored(cur)
        assert stored["a"] == ({"id": "a", "updatedAt": "2026-01-01T00:00:00Z", "v": 1,
                                "title": text}, "run\\1", True)  # fmt: skip
        assert set(stored) == {"a", "b\\1"}
        # one row already there: nothing of the batch lands, the transaction goes on
        again = [_row("c", "2026-01-02T00:00:00Z"), _row("a", "2026-01-03T00:00:00Z", v=3)]
        assert landing.insert_new(cur, TABLE, SHOP, "run2", again) is None
        assert set(_stored(cur)) == {"a", "b\\1"}
        assert landing.upsert_rows(cur, TABLE, SHOP, "run2", again) == (1, 1)
        conn.commit()
        assert _stored(cur)["a"][0]["v"] == 3
    finally:
        conn.close()


def _load(conn, batch: str) -> EntityLoad:
    ledger = LedgerRow(batch, "shopify", SHOP, "orders", mode="bulk")
    return EntityLoad(conn, ledger, TABLE, CallStats(), Progress("t", enabled=False))


def test_a_first_load_goes_straight_in_until_a_row_is_there_already(fresh_db, monkeypatch):
    merged: list[list[str]] = []
    upsert = landing.upsert_rows

    def counting(cur, table, shop, batch_id, rows, *args, **kwargs):
        merged.append(sorted(r.id for r in rows))
        return upsert(cur, table, shop, batch_id, rows, *args, **kwargs)

    monkeypatch.setattr(landing, "upsert_rows", counting)
    conn, webhook = connect(fresh_db), connect(fresh_db, autocommit=True)
    try:
        load = _load(conn, "run1")
        load.land([_row("a", "2026-01-01T00:00:00Z"), _row("b", "2026-01-01T00:00:00Z")])
        load.commit()
        assert merged == []  # COPYed straight in
        # a webhook lands a newer "c" meanwhile; the extraction's older "c" must not replace it
        upsert(webhook.cursor(), TABLE, SHOP, "hook", [_row("c", "2026-02-01T00:00:00Z", w=1)])
        load.land([_row("c", "2026-01-01T00:00:00Z", w=0), _row("d", "2026-01-01T00:00:00Z")])
        load.land([_row("e", "2026-01-01T00:00:00Z")])
        load.commit()
        assert merged == [["c", "d"], ["e"]]  # merged from the first batch that was not new
        stored = _stored(conn.cursor())
        assert set(stored) == {"a", "b", "c", "d", "e"}
        assert stored["c"][0]["w"] == 1 and stored["c"][1] == "hook"
        ledger = load.ledger
        assert (ledger.rows_read, ledger.rows_inserted, ledger.rows_updated) == (5, 4, 0)
        # a later run of a shop already landed merges from its first batch
        merged.clear()
        later = _load(conn, "run2")
        later.land([_row("f", "2026-01-01T00:00:00Z")])
        later.commit()
        assert merged == [["f"]]
    finally:
        conn.close()
        webhook.close()
