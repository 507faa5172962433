"""Chatwoot contacts: a full pass on a first load, weekly (HOTROD_CHATWOOT_CONTACTS_FULL_DAYS) and
with --full; increments in between read newest activity first and stop at the high-water mark
minus the lookback, and land what a full read would."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from extractors import run, settings
from extractors.chatwoot.extract import NEWEST_ACTIVITY_FIRST, ChatwootExtractor
from extractors.http import CallStats
from extractors.ledger import LedgerRow
from extractors.load import EntityLoad
from extractors.progress import Progress
from extractors.records import iso
from tests.extractors.conftest import FAST_RETRIES, serve
from tests.extractors.sandbox_helpers import (
    advance_sandbox,
    canon,
    extract_states,
    query,
    raw_payloads,
    sandbox_env,
    sandbox_settings,
    store_payloads,
)
from warehouse.connection import connect
from warehouse.settings import SettingError

SHOP = "hot-rod-an.sandbox.test"


def _opts(**kw) -> run.RunOptions:
    return run.RunOptions(progress=False, policy=FAST_RETRIES, processes=False, **kw)


def _contacts(url, cfg, **kw) -> dict[str, LedgerRow]:
    rows = run.extract_entity(url, cfg, "chatwoot", "contacts", options=_opts(**kw))
    return {r.shop_domain: r for r in rows}


def _states(url) -> dict[str, dict]:
    return extract_states(url, "chatwoot", "contacts")


def _set_complete_at(url, when: datetime) -> None:
    query(
        url,
        "update raw_app.extract_state set state = state || %s::jsonb "
        "where source = 'chatwoot' and entity = 'contacts' returning shop_domain",
        (json.dumps({"complete_at": iso(when)}),),
    )


def _assert_raw_is_the_store(url, store) -> None:
    raw = raw_payloads(url, "chatwoot", "contacts")
    expected = store_payloads(store, "chatwoot", "contacts")
    assert raw.keys() == expected.keys()
    stale = [k for k in expected if canon(raw[k]) != canon(expected[k])]
    assert not stale, f"{len(stale)} stale contacts, e.g. {stale[:3]}"


def test_after_a_day_an_increment_reads_a_few_pages_and_lands_what_a_full_read_would(
    own_store, fresh_db
):
    server = serve(own_store)
    try:
        cfg = sandbox_settings(server.url, own_store)
        first = _contacts(fresh_db, cfg)
        assert {r.mode for r in first.values()} == {"full"}
        before = _states(fresh_db)
        assert all(s.get("cursor") and s.get("complete_at") for s in before.values())
        changes = advance_sandbox(server.url)
        changed = {
            (c["shop_domain"], str(c["id"]))
            for c in changes
            if c["source"] == "chatwoot" and c["entity"] == "contacts"
        }
        assert changed, "the day must move some contacts' activity"
        second = _contacts(fresh_db, cfg)
        after = _states(fresh_db)
        _assert_raw_is_the_store(fresh_db, own_store)
        # a full read now would change nothing: the increment landed what it would
        again = _contacts(fresh_db, cfg, full=True)
    finally:
        server.stop()
    assert {r.mode for r in second.values()} == {"incremental"}
    assert sum(r.rows_inserted + r.rows_updated for r in second.values()) == len(changed)
    assert sum(r.rows_inserted + r.rows_updated for r in again.values()) == 0
    assert {r.mode for r in again.values()} == {"full"}
    largest = max(first, key=lambda shop: first[shop].rows_read)
    full, increment = first[largest], second[largest]
    assert full.rows_read > 200
    # two pages (the day's few contacts are on the first), against every page of a full pass;
    # requests: the profile, the pages read and at most the window's 7 more asked for ahead
    assert increment.rows_read == 30, increment
    assert increment.api_calls <= 1 + 2 + 7, increment
    assert full.api_calls >= 1 + -(-full.rows_read // 15) + 1, full  # every page, one empty
    for shop, state in after.items():
        moved = any(c[0] == shop for c in changed)
        if moved:  # ISO UTC strings compare as times
            assert state["cursor"] > before[shop]["cursor"]
        else:
            assert state["cursor"] == before[shop]["cursor"]
        assert state["complete_at"] == before[shop]["complete_at"]


def test_the_weekly_full_pass_and_full_force_a_full_read(sandbox_store, fresh_db):
    server = serve(sandbox_store)
    try:
        cfg = sandbox_settings(server.url, sandbox_store)
        assert {r.mode for r in _contacts(fresh_db, cfg).values()} == {"full"}
        assert {r.mode for r in _contacts(fresh_db, cfg).values()} == {"incremental"}
        _set_complete_at(fresh_db, datetime.now(UTC) - timedelta(days=6))
        assert {r.mode for r in _contacts(fresh_db, cfg).values()} == {"incremental"}
        _set_complete_at(fresh_db, datetime.now(UTC) - timedelta(days=8))
        weekly = _contacts(fresh_db, cfg)
        assert {r.mode for r in weekly.values()} == {"full"}
        completed = {shop: s["complete_at"] for shop, s in _states(fresh_db).items()}
        assert all(
            datetime.now(UTC) - datetime.fromisoformat(at) < timedelta(minutes=5)
            for at in completed.values()
        )
        assert {r.mode for r in _contacts(fresh_db, cfg).values()} == {"incremental"}
        forced = _contacts(fresh_db, cfg, full=True)
        assert {r.mode for r in forced.values()} == {"full"}
        # 0: every run reads in full
        every = settings.from_env(
            {**sandbox_env(server.url, sandbox_store), "HOTROD_CHATWOOT_CONTACTS_FULL_DAYS": "0"}
        )
        assert {r.mode for r in _contacts(fresh_db, every).values()} == {"full"}
    finally:
        server.stop()
    assert weekly[SHOP].rows_read == forced[SHOP].rows_read > 0
    _assert_raw_is_the_store(fresh_db, sandbox_store)


def test_the_full_pass_interval_setting():
    env = {"CHATWOOT_URL": "http://x", "CHATWOOT_API_TOKEN": "t", "CHATWOOT_ACCOUNT_ID": "1=s"}
    assert settings.from_env(env).chatwoot().contacts_full_days == 7
    with_days = {**env, "HOTROD_CHATWOOT_CONTACTS_FULL_DAYS": "3"}
    assert settings.from_env(with_days).chatwoot().contacts_full_days == 3
    with pytest.raises(SettingError, match="HOTROD_CHATWOOT_CONTACTS_FULL_DAYS"):
        settings.from_env({**env, "HOTROD_CHATWOOT_CONTACTS_FULL_DAYS": "weekly"}).chatwoot()


# --- a scripted contacts list --------------------------------------------------------------

CURSOR = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _at(hours: float) -> int:
    """Epoch seconds ``hours`` after the high-water mark."""
    return int((CURSOR + timedelta(hours=hours)).timestamp())


def _c(cid: int, last_activity) -> dict:
    return {"id": cid, "email": f"c{cid}@x.test", "created_at": _at(-100), **last_activity}


class _Scripted:
    """A Chatwoot client whose contacts list is ``pages`` (the same whatever the sort)."""

    account_id = "1"

    def __init__(self, pages: list[list]) -> None:
        self.pages = pages
        self.asked: list[tuple[int, str | None]] = []

    def profile(self) -> dict:
        return {"accounts": [{"id": 1, "role": "administrator"}]}

    def contacts_page(self, page: int, sort: str | None = None) -> list:
        self.asked.append((page, sort))
        return self.pages[page - 1] if page <= len(self.pages) else []


def _scripted_run(url, pages: list[list], state: dict | None, window: int = 2) -> _Scripted:
    client = _Scripted(pages)
    conn = connect(url)
    ledger = LedgerRow("run-t", "chatwoot", SHOP, "contacts", "incremental")
    load = EntityLoad(
        conn, ledger, "raw_chatwoot.contacts", CallStats(), Progress("t", enabled=False)
    )
    extractor = ChatwootExtractor(client, batch_rows=2)  # type: ignore[arg-type]
    try:
        if state is not None:
            load.save(state)
            load.commit()
        extractor.contacts(load, window=window)
    finally:
        extractor.close()
        conn.close()
    client.ledger = ledger  # type: ignore[attr-defined]
    return client


PAGES = [
    [_c(1, {"last_activity_at": _at(1)}), {"email": "no-id@x.test", "last_activity_at": _at(0.5)}],
    # an unreadable time is quarantined and never ends the pass, even beside an old contact
    [_c(2, {"last_activity_at": "yesterday-ish"}), _c(3, {"last_activity_at": _at(-2)})],
    # older than the mark minus the hour's lookback, or never active (Chatwoot leaves the key
    # out): nothing newer follows; this page is landed and the pass ends
    [_c(4, {"last_activity_at": _at(-3)}), _c(5, {}), _c(6, {"last_activity_at": None})],
    [_c(7, {"last_activity_at": _at(-4)})],
]


def test_an_increment_stops_after_the_first_page_older_than_the_mark(fresh_db):
    state = {"cursor": iso(CURSOR), "complete_at": iso(datetime.now(UTC))}
    client = _scripted_run(fresh_db, PAGES, state)
    assert client.ledger.mode == "incremental"
    assert {sort for _, sort in client.asked} == {NEWEST_ACTIVITY_FIRST}
    landed = {rid for _, rid in raw_payloads(fresh_db, "chatwoot", "contacts")}
    assert landed == {"1", "3", "4", "5", "6"}  # 7 is past the stop
    quarantined = query(fresh_db, "select count(*) from raw_app.quarantine")[0][0]
    assert quarantined == 2
    assert _states(fresh_db)[SHOP] == {**state, "cursor": iso(CURSOR + timedelta(hours=1))}


def test_an_increment_goes_on_while_a_page_holds_an_unreadable_time(fresh_db):
    state = {"cursor": iso(CURSOR), "complete_at": iso(datetime.now(UTC))}
    old = [_c(8, {"last_activity_at": _at(-5)}), _c(9, {"last_activity_at": "??"})]
    pages = [old, [_c(10, {"last_activity_at": _at(-6)})], PAGES[3]]
    client = _scripted_run(fresh_db, pages, state, window=1)
    assert [page for page, _ in client.asked] == [1, 2]
    landed = {rid for _, rid in raw_payloads(fresh_db, "chatwoot", "contacts")}
    assert landed == {"8", "10"}
    assert _states(fresh_db)[SHOP]["cursor"] == iso(CURSOR)  # nothing newer seen


def test_an_increment_reads_back_the_lookback_before_the_mark(fresh_db):
    state = {"cursor": iso(CURSOR), "complete_at": iso(datetime.now(UTC))}
    pages = [
        [_c(11, {"last_activity_at": _at(-0.5)})],  # before the mark, inside the hour's lookback
        [_c(12, {"last_activity_at": _at(-2)})],
        [_c(13, {"last_activity_at": _at(-3)})],
    ]
    client = _scripted_run(fresh_db, pages, state, window=1)
    assert [page for page, _ in client.asked] == [1, 2]
    landed = {rid for _, rid in raw_payloads(fresh_db, "chatwoot", "contacts")}
    assert landed == {"11", "12"}


def test_an_increment_reads_every_page_of_a_list_not_newest_first(fresh_db, caplog):
    """A server that ignores ``sort`` answers in ascending id: its first page is old contacts,
    and stopping there would miss the day's."""
    state = {"cursor": iso(CURSOR), "complete_at": iso(datetime.now(UTC))}
    pages = [
        [_c(21, {"last_activity_at": _at(-9)}), _c(22, {"last_activity_at": _at(-5)})],
        [_c(23, {"last_activity_at": _at(-7)})],
        [_c(24, {"last_activity_at": _at(2)})],
    ]
    with caplog.at_level("WARNING", logger="extractors.chatwoot.extract"):
        client = _scripted_run(fresh_db, pages, state, window=1)
    assert [page for page, _ in client.asked] == [1, 2, 3, 4]
    landed = {rid for _, rid in raw_payloads(fresh_db, "chatwoot", "contacts")}
    assert landed == {"21", "22", "23", "24"}
    assert "every page" in client.ledger.notes
    assert any("out of newest-activity order" in m for m in caplog.messages)
    assert _states(fresh_db)[SHOP] == {**state, "cursor": iso(CURSOR + timedelta(hours=2))}


def test_a_first_load_reads_every_page_unsorted(fresh_db):
    client = _scripted_run(fresh_db, PAGES, None)
    assert client.ledger.mode == "full"
    assert {sort for _, sort in client.asked} == {None}
    assert {page for page, _ in client.asked} >= {1, 2, 3, 4, 5}
    landed = {rid for _, rid in raw_payloads(fresh_db, "chatwoot", "contacts")}
    assert landed == {"1", "3", "4", "5", "6", "7"}
    state = _states(fresh_db)[SHOP]
    assert state["cursor"] == iso(CURSOR + timedelta(hours=1))
    assert datetime.now(UTC) - datetime.fromisoformat(state["complete_at"]) < timedelta(minutes=5)
