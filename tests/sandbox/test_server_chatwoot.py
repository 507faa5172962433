"""The Chatwoot and app API stand-ins and the control endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests

from extractors.chatwoot import shape
from sandbox.server import chatwoot_reference, start_server
from sandbox.server.chatwoot import agent_token
from tests.sandbox.fake_store import SHOPS, FakeStore

CW = {"api_access_token": "cw_sandbox_token"}
APP = {"Authorization": "Bearer app_sandbox_token"}
SHOP = SHOPS[0][0]


@pytest.fixture(scope="module")
def store() -> FakeStore:
    return FakeStore(orders=10)


@pytest.fixture(scope="module")
def server(store: FakeStore) -> Iterator[str]:
    running = start_server(store)
    try:
        yield running.url
    finally:
        running.stop()


def get(url: str, path: str, headers: dict = CW, **params) -> requests.Response:
    return requests.get(url + path, headers=headers, params=params, timeout=30)


def test_conversations_pages_newest_activity_first(server, store):
    pages = []
    page = 1
    while True:
        body = get(server, "/api/v1/accounts/1/conversations", status="all", page=page).json()
        rows = body["data"]["payload"]
        if not rows:
            break
        assert len(rows) <= 25
        pages.append(rows)
        page += 1
    assert [len(p) for p in pages] == [25, 5]
    got = [row for p in pages for row in p]
    expected = sorted(
        (r.payload for r in store.iter_records("chatwoot", "conversations", SHOP)),
        key=lambda c: (-c["last_activity_at"], -c["id"]),
    )
    # Chatwoot leaves meta.assignee out for unassigned conversations and renders absent times
    # as 0 (the landed shape keeps both as null)
    assert [c["id"] for c in got] == [c["id"] for c in expected]
    for served, kept in zip(got, expected, strict=True):
        assignee = kept["meta"].get("assignee")
        assert ("assignee" in served["meta"]) == (assignee is not None)
        for key in ("first_reply_created_at", "waiting_since"):
            assert served[key] == (0 if kept[key] is None else kept[key])
        assert shape.conversation(served) == kept
    meta = body["data"]["meta"]
    assert meta["all_count"] == 30
    assert meta["assigned_count"] + meta["unassigned_count"] == 30


def test_conversation_status_filter_defaults_to_open(server, store):
    body = get(server, "/api/v1/accounts/1/conversations").json()
    assert {c["status"] for c in body["data"]["payload"]} == {"open"}
    assert body["data"]["meta"]["all_count"] == 20


def test_messages_latest_page_then_before_and_after(server):
    latest = get(server, "/api/v1/accounts/1/conversations/1001/messages").json()
    ids = [m["id"] for m in latest["payload"]]
    assert ids == list(range(100103, 100123))  # the latest 20 of 23, ascending
    older = get(server, "/api/v1/accounts/1/conversations/1001/messages", before=ids[0]).json()
    assert [m["id"] for m in older["payload"]] == [100100, 100101, 100102]
    newer = get(server, "/api/v1/accounts/1/conversations/1001/messages", after=100120).json()
    assert [m["id"] for m in newer["payload"]] == [100121, 100122]
    # ``after`` answers up to 100, ascending (OpenAPI), ``before`` and the latest page 20
    everything = get(server, "/api/v1/accounts/1/conversations/1001/messages", after=0).json()
    assert [m["id"] for m in everything["payload"]] == list(range(100100, 100123))
    assert latest["meta"]["contact"]["name"] == "Ann"


def test_agents_inboxes_contacts(server):
    agents = get(server, "/api/v1/accounts/1/agents").json()
    assert isinstance(agents, list) and agents[0]["role"] == "agent"
    inboxes = get(server, "/api/v1/accounts/1/inboxes").json()
    assert inboxes["payload"][0]["channel_type"] == "Channel::WebWidget"
    first = get(server, "/api/v1/accounts/1/contacts", page=1).json()
    second = get(server, "/api/v1/accounts/1/contacts", page=2).json()
    assert first["meta"] == {"count": 20, "current_page": 1}
    assert [c["id"] for c in first["payload"] + second["payload"]] == list(range(1, 21))


def test_unknown_account_is_404_and_token_is_required(server):
    assert get(server, "/api/v1/accounts/99/agents").status_code == 404
    response = get(server, "/api/v1/accounts/1/agents", headers={})
    assert response.status_code == 401
    assert response.json() == {"error": "You need to sign in or sign up before continuing."}


def test_responses_validate_against_the_chatwoot_openapi_schemas(server):
    validate = chatwoot_reference.validator
    conversations = get(server, "/api/v1/accounts/1/conversations", status="all").json()
    assert list(validate("conversation_list").iter_errors(conversations)) == []
    message_schema = validate("message")
    messages = get(server, "/api/v1/accounts/1/conversations/1001/messages").json()
    for message in messages["payload"]:
        assert list(message_schema.iter_errors(message)) == []
    agent_schema = validate("agent")
    for agent in get(server, "/api/v1/accounts/1/agents").json():
        assert list(agent_schema.iter_errors(agent)) == []
    inbox_schema = validate("inbox")
    for inbox in get(server, "/api/v1/accounts/1/inboxes").json()["payload"]:
        assert list(inbox_schema.iter_errors(inbox)) == []
    contacts = get(server, "/api/v1/accounts/1/contacts").json()
    assert list(validate("contacts_list_response").iter_errors(contacts)) == []
    profile = get(server, "/api/v1/profile").json()
    assert list(validate("user").iter_errors(profile)) == []
    # every key the stand-in sends is one the reference documents (nothing made up)
    user_keys = set(chatwoot_reference.load()["components"]["schemas"]["user"]["properties"])
    assert set(profile) <= user_keys


def _agents_store() -> FakeStore:
    """Account 1 with a second inbox, an administrator and two agents (one per inbox)."""
    store = FakeStore(orders=5)
    base = store.now - timedelta(days=3)
    mail = {"id": 2, "name": "Mail", "channel_type": "Channel::Email"}
    store.put("chatwoot", "inboxes", SHOP, "2", base, mail)
    for agent_id, role in ((8, "agent"), (9, "administrator")):
        agent = {
            "id": agent_id,
            "account_id": 1,
            "name": f"A{agent_id}",
            "email": f"a{agent_id}@x.com",
            "role": role,
            "availability_status": "online",
        }
        store.put("chatwoot", "agents", SHOP, str(agent_id), base, agent)
    conversations = store.data[("chatwoot", "conversations", SHOP)]
    for number, record_id in enumerate(sorted(conversations)):
        if number % 3 == 0:  # a third of them came in through the mail inbox
            record = conversations[record_id]
            payload = {**record.payload, "inbox_id": 2}
            conversations[record_id] = type(record)(record.id, record.updated_at, payload, None)
    return store


def test_an_agents_token_sees_only_its_inboxes_an_administrators_everything():
    store = _agents_store()
    running = start_server(store)
    try:
        url = running.url
        owner = get(url, "/api/v1/profile").json()
        roles = {a["id"]: a["role"] for a in owner["accounts"]}
        assert roles == {1: "administrator", 2: "administrator"}
        admin = {"api_access_token": agent_token(9)}
        agent7 = {"api_access_token": agent_token(7)}  # inbox 1 (and its own assignments)
        agent8 = {"api_access_token": agent_token(8)}  # inbox 2
        assert get(url, "/api/v1/profile", agent7).json()["accounts"][0]["role"] == "agent"

        def listed(headers) -> dict[int, dict]:
            out, page = {}, 1
            while True:
                path = "/api/v1/accounts/1/conversations"
                body = get(url, path, headers, status="all", page=page).json()
                if not body["data"]["payload"]:
                    return out
                out.update({c["id"]: c for c in body["data"]["payload"]})
                page += 1

        everything = listed(CW)
        assert listed(admin).keys() == everything.keys() and len(everything) == 30
        seven, eight = listed(agent7), listed(agent8)

        def visible(inbox: int, agent: int) -> set[int]:
            return {
                cid
                for cid, c in everything.items()
                if c["inbox_id"] == inbox or (c["meta"].get("assignee") or {}).get("id") == agent
            }

        assert seven.keys() == visible(1, 7) and eight.keys() == visible(2, 8)
        assert 0 < len(eight) < len(seven) < 30
        inboxes = get(url, "/api/v1/accounts/1/inboxes", agent8).json()["payload"]
        assert [i["id"] for i in inboxes] == [2]
        assert len(get(url, "/api/v1/accounts/1/inboxes", CW).json()["payload"]) == 2
        other = next(cid for cid, c in everything.items() if cid not in eight)
        refused = get(url, f"/api/v1/accounts/1/conversations/{other}/messages", agent8)
        assert refused.status_code == 401
        assert refused.json() == {"error": "You are not authorized to do this action"}
        assert get(url, "/api/v1/accounts/1/agents", agent8).status_code == 200
        assert get(url, "/api/v1/profile", {"api_access_token": "nope"}).status_code == 401
        # a member of account 1 only: account 2 is not found for it
        assert get(url, "/api/v1/accounts/2/agents", agent8).status_code == 404
    finally:
        running.stop()


def test_contacts_without_email_phone_or_identifier_are_not_listed():
    store = FakeStore(orders=5)
    base = store.now - timedelta(days=1)
    for number, (email, phone, identifier) in enumerate(
        ((None, None, None), ("", "", ""), (None, "+15550100", None), (None, None, "ext-9"))
    ):
        contact = {
            "id": 100 + number,
            "name": f"visitor-{number}",
            "email": email,
            "phone_number": phone,
            "identifier": identifier,
            "created_at": 1,
            "last_activity_at": 1,
            "custom_attributes": {},
        }
        store.put("chatwoot", "contacts", SHOP, str(100 + number), base, contact)
    running = start_server(store)
    try:
        ids, page = [], 1
        while rows := get(running.url, "/api/v1/accounts/1/contacts", page=page).json()["payload"]:
            ids.extend(c["id"] for c in rows)
            page += 1
        first = get(running.url, "/api/v1/accounts/1/contacts").json()
    finally:
        running.stop()
    assert ids == [*range(1, 21), 102, 103]  # the visitor without any of the three is not
    assert first["meta"]["count"] == 22


def test_app_api_pages_and_auth(server, store):
    body = get(server, "/app/api/decision_log", headers=APP).json()
    assert body["meta"] == {"page": 1, "pages": 1, "count": 6}
    assert {row["shop_domain"] for row in body["data"]} == {
        SHOP,
        "speedway-classics.sandbox.test",
    }
    assert get(server, "/app/api/decision_log", headers={}).status_code == 401
    assert get(server, "/app/api/nope", headers=APP).status_code == 404


def test_control_config_truth_advance_and_changes(store):
    running = start_server(FakeStore(orders=5))
    try:
        url = running.url
        config = requests.get(f"{url}/_sandbox/config").json()
        assert [s["domain"] for s in config["shops"]][0] == SHOP
        assert "as_of" in requests.get(f"{url}/_sandbox/truth").json()
        advanced = requests.post(f"{url}/_sandbox/advance", json={"days": 2}).json()
        assert advanced["changes"] == 3
        assert advanced["now"].startswith("2026-06-03")
        changes = requests.get(f"{url}/_sandbox/changes", params={"since": 1}).json()
        assert [c["seq"] for c in changes["changes"]] == [2, 3]
        assert changes["next"] == 3
        # the change is visible through the API right away
        body = get(url, "/api/v1/accounts/1/conversations", status="resolved").json()
        assert body["data"]["meta"]["all_count"] == 11
    finally:
        running.stop()


def _csat_store() -> FakeStore:
    """Account 1 with 30 CSAT survey responses, one per conversation, answered an hour apart."""
    store = FakeStore(orders=5)
    base = store.now - timedelta(days=2)
    contacts = [r.payload for r in store.iter_records("chatwoot", "contacts", SHOP)]
    conversations = sorted(
        r.payload["id"] for r in store.iter_records("chatwoot", "conversations", SHOP)
    )
    for n, conversation_id in enumerate(conversations):
        contact = contacts[n % len(contacts)]
        at = base + timedelta(hours=n)
        response = {
            "id": 500 + n,
            "rating": 1 + n % 5,
            "feedback_message": None,
            "account_id": 1,
            "message_id": 900_000 + n,
            "contact": {"id": contact["id"], "name": "stale name"},
            "conversation_id": conversation_id,
            "assigned_agent": None,
            "created_at": int(at.timestamp()),
        }
        store.put("chatwoot", "csat_survey_responses", SHOP, str(500 + n), at, response)
    agent = {"id": 8, "account_id": 1, "name": "A8", "email": "a8@x.com", "role": "agent",
             "availability_status": "online"}  # fmt: skip
    store.put("chatwoot", "agents", SHOP, "8", base, agent)
    return store


def test_csat_survey_responses_page_by_25_filter_by_time_and_need_an_administrator():
    store = _csat_store()
    running = start_server(store)
    try:
        path = "/api/v1/accounts/1/csat_survey_responses"
        first = get(running.url, path).json()
        second = get(running.url, path, page=2).json()
        assert [len(first), len(second)] == [25, 5]  # a bare array, 25 a page
        assert get(running.url, path, page=3).json() == []
        ids = [r["id"] for r in first + second]
        assert ids == sorted(ids) == list(range(500, 530))
        # the contact is the contact's current record, as Chatwoot renders the association
        contact = store.get("chatwoot", "contacts", SHOP, str(first[0]["contact"]["id"]))
        assert first[0]["contact"] == contact
        since = first[10]["created_at"]
        window = get(running.url, path, since=since, until=since + 3 * 3600).json()
        assert [r["id"] for r in window] == [510, 511, 512]
        assert {r["rating"] for r in get(running.url, path, rating=5).json()} == {5}
        refused = get(running.url, path, headers={"api_access_token": agent_token(8)})
        assert refused.status_code == 401  # CsatSurveyResponsePolicy: administrators only
        assert get(running.url, "/api/v1/accounts/1/agents",
                   headers={"api_access_token": agent_token(8)}).status_code == 200  # fmt: skip
    finally:
        running.stop()


def test_generated_inboxes_validate_against_the_chatwoot_inbox_schema():
    from sandbox.generator.chatwoot import inbox_payload, inboxes_by_account

    schema = chatwoot_reference.load()["components"]["schemas"]["inbox"]
    validate = chatwoot_reference.validator("inbox")
    for account, inboxes in inboxes_by_account().items():
        for inbox in inboxes:
            payload = inbox_payload(inbox, account, "America/Chicago")
            assert list(validate.iter_errors(payload)) == []
            assert set(payload) <= set(schema["properties"])  # nothing made up
            days = payload["working_hours"]
            assert [d["day_of_week"] for d in days] == list(range(7))
            day_keys = set(schema["properties"]["working_hours"]["items"]["properties"])
            assert all(set(d) == day_keys for d in days)
