"""The Chatwoot stand-in's contact sorts (``GET .../contacts?sort=``) as Chatwoot applies them:
Sift's parsing, the ORDER BY terms' nulls, ties in ascending id, unknown values ignored."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from sandbox.server import chatwoot_reference, start_server
from sandbox.server.chatwoot_sort import SORTS, contact_order, contact_sorts
from tests.sandbox.fake_store import SHOPS, FakeStore

SHOP = SHOPS[0][0]
CW = {"api_access_token": "cw_sandbox_token"}


def _contact(cid: int, name, email, phone, last_activity) -> dict:
    return {
        "id": cid,
        "name": name,
        "email": email,
        "phone_number": phone,
        "last_activity_at": last_activity,
    }


CONTACTS = {
    "1": _contact(1, "bob", "B@x.test", None, 300),
    "2": _contact(2, "Alice", None, "+2", None),
    "3": _contact(3, None, "a@x.test", "+1", 100),
    "4": _contact(4, "carol", "c@x.test", "+3", 300),
    "10": _contact(10, "^+D*", "", "+0", None),  # order_on_name's ILIKE pattern: sorts as 'z'
}


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["1", "2", "3", "4", "10"]),  # no sort: ascending id
        # NULLS LAST both ways; the tie at 300 in ascending id both ways
        ("last_activity_at", ["3", "1", "4", "2", "10"]),
        ("-last_activity_at", ["1", "4", "3", "2", "10"]),
        # LOWER(email): '' first; PostgreSQL's default nulls: last ascending, first descending
        ("email", ["10", "3", "1", "4", "2"]),
        ("-email", ["2", "4", "1", "3", "10"]),
        ("phone_number", ["10", "3", "2", "4", "1"]),
        ("-phone_number", ["1", "4", "2", "3", "10"]),
        # LOWER(name), '^+D*' as 'z', nulls as PostgreSQL's default
        ("name", ["2", "1", "4", "10", "3"]),
        ("-name", ["3", "10", "4", "1", "2"]),
    ],
)
def test_each_documented_sort_orders_as_chatwoot(sort, expected):
    assert contact_order(CONTACTS, contact_sorts(sort)) == expected


@pytest.mark.parametrize("sort", ["created_at", "bogus", "-id", "LAST_ACTIVITY_AT", " name", ","])
def test_an_unknown_sort_is_ignored_and_the_list_stays_unsorted(sort):
    assert contact_sorts(sort) == ()
    assert contact_order(CONTACTS, contact_sorts(sort)) == ["1", "2", "3", "4", "10"]


def test_sift_reads_a_comma_list_in_the_controllers_order_last_direction_winning():
    # the controller declares name before last_activity_at: that is the ORDER BY's order
    assert contact_sorts("-last_activity_at,name") == (("name", False), ("last_activity_at", True))
    assert contact_sorts("name,-name") == (("name", True),)
    assert contact_sorts("bogus,-email") == (("email", True),)
    tied = {
        "1": _contact(1, "a", None, None, 5),
        "2": _contact(2, "A", None, None, 9),
        "3": _contact(3, "b", None, None, 7),
    }
    # LOWER(name) ties 'a' and 'A'; last activity descending breaks the tie
    assert contact_order(tied, contact_sorts("-last_activity_at,name")) == ["2", "1", "3"]


def test_the_sorts_are_the_ones_the_reference_documents():
    parameter = chatwoot_reference.load()["components"]["parameters"]["contact_sort_param"]
    documented = set(parameter["schema"]["enum"])
    assert documented == {*SORTS, *(f"-{field}" for field in SORTS)}


def _listed(url: str, **params) -> list[int]:
    ids, page = [], 1
    while True:
        body = requests.get(
            f"{url}/api/v1/accounts/1/contacts",
            headers=CW,
            params={**params, "page": page},
            timeout=30,
        ).json()
        if not body["payload"]:
            return ids
        assert len(body["payload"]) <= 15
        ids.extend(c["id"] for c in body["payload"])
        page += 1


def test_the_stand_in_pages_newest_activity_first_nulls_last_and_builds_the_order_once():
    store = FakeStore(orders=5)
    base = store.now - timedelta(days=1)
    for cid, last in ((101, None), (102, 0), (103, None)):
        contact = {**_contact(cid, f"n{cid}", f"n{cid}@x.test", None, last), "identifier": None}
        store.put("chatwoot", "contacts", SHOP, str(cid), base, contact)
    running = start_server(store)
    scans = []
    data = running.sandbox.data
    scan = data.scan
    data.scan = lambda *a, **kw: scans.append(a) or scan(*a, **kw)
    try:
        newest_first = _listed(running.url, sort="-last_activity_at")
        oldest_first = _listed(running.url, sort="last_activity_at")
        unsorted = _listed(running.url, sort="nonsense")
    finally:
        running.stop()
    # the fake store's contacts 1..20 are an hour apart; 102 was last active at the epoch
    assert newest_first == [*range(20, 0, -1), 102, 101, 103]
    assert oldest_first == [102, *range(1, 21), 101, 103]
    assert unsorted == [*range(1, 21), 101, 102, 103]
    contact_scans = [a for a in scans if a[:2] == ("chatwoot", "contacts")]
    assert len(contact_scans) == 3  # once per sort, not once per page (two pages each)
