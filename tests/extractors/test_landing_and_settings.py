"""Landing rules (newest wins, counts, quarantine, state), records and settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from extractors import landing
from extractors.errors import ConfigError
from extractors.records import RecordError, Row, make_row, parse_timestamp
from extractors.settings import from_env


def _row(rid: str, when: str, **payload):
    return make_row(rid, when, {"id": rid, "updatedAt": when, **payload})


def _stored(cur, rid: str):
    cur.execute(
        "select updated_at, payload, batch_id from raw_shopify.orders where id = %s", (rid,)
    )
    return cur.fetchone()


def test_upsert_newest_wins_and_counts(db_conn):
    cur = db_conn.cursor()
    shop = "s.myshopify.com"
    rows = [_row("a", "2026-01-01T00:00:00Z", v=1), _row("b", "2026-01-01T00:00:00Z", v=1)]
    assert landing.upsert_rows(cur, "raw_shopify.orders", shop, "b1", rows) == (2, 0)
    # same again: nothing changes
    assert landing.upsert_rows(cur, "raw_shopify.orders", shop, "b2", rows) == (0, 0)
    # older payload never overwrites
    older = [_row("a", "2025-12-31T00:00:00Z", v=0)]
    assert landing.upsert_rows(cur, "raw_shopify.orders", shop, "b3", older) == (0, 0)
    assert _stored(cur, "a")[1]["v"] == 1
    # newer replaces; equal time with a different payload replaces too
    newer = [_row("a", "2026-01-02T00:00:00Z", v=2), _row("b", "2026-01-01T00:00:00Z", v=9)]
    assert landing.upsert_rows(cur, "raw_shopify.orders", shop, "b4", newer) == (0, 2)
    assert _stored(cur, "a")[1]["v"] == 2 and _stored(cur, "b")[1]["v"] == 9
    assert _stored(cur, "a")[2] == "b4"
    # duplicates inside one batch: the newest is kept, no error
    dup = [_row("c", "2026-01-01T00:00:00Z", v=1), _row("c", "2026-01-03T00:00:00Z", v=3)]
    assert landing.upsert_rows(cur, "raw_shopify.orders", shop, "b5", dup) == (1, 0)
    assert _stored(cur, "c")[1]["v"] == 3


def test_payload_with_backslashes_tabs_and_unicode_round_trips(db_conn):
    cur = db_conn.cursor()
    text = 'fits:1932 "Ford"\\ Model\tB\nnew — ñ ✓'
    row = _row("x", "2026-01-01T00:00:00Z", title=text, value='["1955-1957 Chevrolet"]')
    landing.upsert_rows(cur, "raw_shopify.orders", "s", "b", [row])
    assert _stored(cur, "x")[1]["title"] == text


def test_copy_text_escapes_as_row_by_row_whatever_the_rows_hold(db_conn):
    when = datetime(2026, 1, 1, tzinfo=UTC)
    compact = [Row("a\\1", when, '{"t":"x\\ty\\\\"}'), Row("b", when, '{"n":1}')]
    spaced = [*compact, Row("c\td", when, '{"a":\t1,\r\n"b":"\\n"}')]
    for rows in (compact, spaced):
        expected = "".join(
            f"{landing._copy_escape(r.id)}\t{r.updated_at.isoformat()}\t"
            f"{landing._copy_escape(r.payload)}\n"
            for r in rows
        )
        assert landing._copy_text(rows, "utf-8").read() == expected.encode()
        for lead in (("shop", "run\\1"), ("sh\top", "b")):  # leading columns, escaped too
            prefix = "".join(landing._copy_escape(value) + "\t" for value in lead)
            led = "".join(prefix + line for line in expected.splitlines(keepends=True))
            assert landing._copy_text(rows, "utf-8", lead).read() == led.encode()
    cur = db_conn.cursor()
    landing.upsert_rows(cur, "raw_shopify.orders", "s", "b", spaced)
    assert _stored(cur, "a\\1")[1] == {"t": "x\ty\\"}
    assert _stored(cur, "c\td")[1] == {"a": 1, "b": "\n"}


def test_first_seen_rows_change_only_with_the_payload(db_conn):
    cur = db_conn.cursor()
    first = make_row("1", "2026-01-01T00:00:00Z", {"id": 1, "name": "Ann"})
    later = make_row("1", "2026-02-01T00:00:00Z", {"id": 1, "name": "Ann"})
    renamed = make_row("1", "2026-03-01T00:00:00Z", {"id": 1, "name": "Anne"})
    table = "raw_chatwoot.agents"
    assert landing.upsert_rows(cur, table, "s", "b", [first], first_seen=True) == (1, 0)
    assert landing.upsert_rows(cur, table, "s", "b", [later], first_seen=True) == (0, 0)
    assert landing.upsert_rows(cur, table, "s", "b", [renamed], first_seen=True) == (0, 1)


def test_quarantine_and_state(db_conn):
    cur = db_conn.cursor()
    assert landing.quarantine(cur, "shopify", "orders", "s", "b", [("bad json", "{\x00")]) == 1
    cur.execute("select reason, raw_text from raw_app.quarantine")
    assert cur.fetchall() == [("bad json", "{\\u0000")]
    assert landing.load_state(cur, "shopify", "s", "orders") == {}
    landing.save_state(cur, "shopify", "s", "orders", {"cursor": "2026-01-01T00:00:00Z"})
    landing.save_state(cur, "shopify", "s", "orders", {"cursor": "2026-01-02T00:00:00Z"})
    assert landing.load_state(cur, "shopify", "s", "orders") == {"cursor": "2026-01-02T00:00:00Z"}


def test_records_reject_what_cannot_be_landed():
    assert parse_timestamp(1700000000) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert parse_timestamp("2026-03-01T17:04:05Z").hour == 17
    for bad in (None, "", "yesterday", "2026-13-01T00:00:00Z", True):
        with pytest.raises(RecordError):
            parse_timestamp(bad)
    with pytest.raises(RecordError, match="missing id"):
        make_row(None, "2026-01-01T00:00:00Z", {})
    with pytest.raises(RecordError, match="updatedAt"):
        make_row("1", "not a time", {})


def test_settings_name_the_missing_variable_and_hide_secrets():
    with pytest.raises(ConfigError, match="SHOPIFY_ACCESS_TOKEN"):
        from_env({"SHOPIFY_SHOP": "a.myshopify.com"}).shopify()
    cfg = from_env(
        {
            "SHOPIFY_SHOP": "a.myshopify.com, b.myshopify.com",
            "SHOPIFY_ACCESS_TOKEN": "shpat_secret",
            "SHOPIFY_API_BASE_URL": "http://127.0.0.1:1/shops/{shop}",
            "CHATWOOT_URL": "http://cw/",
            "CHATWOOT_ACCOUNT_ID": "1=a.myshopify.com,2=b.myshopify.com",
            "CHATWOOT_API_TOKEN": "cw_secret",
            "SHOPIFY_WEBHOOK_SECRET": "whsec",
        }
    )
    shopify = cfg.shopify()
    assert shopify.shops == ("a.myshopify.com", "b.myshopify.com")
    assert shopify.graphql_url("b.myshopify.com") == (
        "http://127.0.0.1:1/shops/b.myshopify.com/admin/api/2026-07/graphql.json"
    )
    chatwoot = cfg.chatwoot()
    assert chatwoot.accounts == (("1", "a.myshopify.com"), ("2", "b.myshopify.com"))
    for value in (shopify, chatwoot, cfg.webhooks(), cfg):
        assert "secret" not in repr(value) and "whsec" not in repr(value)
    bare = from_env({"SHOPIFY_SHOP": "a.myshopify.com", "CHATWOOT_ACCOUNT_ID": "4"})
    assert bare.chatwoot_accounts() == (("4", "a.myshopify.com"),)
    with pytest.raises(ConfigError, match="CHATWOOT_ACCOUNT_ID"):
        from_env({"CHATWOOT_ACCOUNT_ID": "x=y=z"}).chatwoot_accounts()
