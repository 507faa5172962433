"""The Chatwoot and app API stand-ins and the control endpoints."""

from __future__ import annotations

from collections.abc import Iterator

import jsonschema
import pytest
import requests

from sandbox.server import chatwoot_reference, start_server
from tests.sandbox.fake_store import FakeStore

CW = {"api_access_token": "cw_sandbox_token"}
APP = {"Authorization": "Bearer app_sandbox_token"}
SHOP = "hot-rod-an.sandbox.test"


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
    # Chatwoot leaves meta.assignee out for unassigned conversations (stored as null)
    assert [c["id"] for c in got] == [c["id"] for c in expected]
    for served, kept in zip(got, expected, strict=True):
        assignee = kept["meta"].get("assignee")
        assert served["meta"].get("assignee") == assignee
        assert ("assignee" in served["meta"]) == (assignee is not None)
        assert {**served, "meta": {**served["meta"], "assignee": assignee}} == kept
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


def _validator(ref: str):
    """A validator for one component schema of the in-repo subset of Chatwoot's OpenAPI file."""
    schema = {"$ref": ref, "components": chatwoot_reference.load()["components"]}
    return jsonschema.Draft202012Validator(schema)


def test_responses_validate_against_the_chatwoot_openapi_schemas(server):
    conversations = get(server, "/api/v1/accounts/1/conversations", status="all").json()
    errors = list(_validator("#/components/schemas/conversation_list").iter_errors(conversations))
    assert errors == []
    message_schema = _validator("#/components/schemas/message")
    messages = get(server, "/api/v1/accounts/1/conversations/1001/messages").json()
    for message in messages["payload"]:
        assert list(message_schema.iter_errors(message)) == []
    agent_schema = _validator("#/components/schemas/agent")
    for agent in get(server, "/api/v1/accounts/1/agents").json():
        assert list(agent_schema.iter_errors(agent)) == []
    contacts = get(server, "/api/v1/accounts/1/contacts").json()
    errors = list(_validator("#/components/schemas/contacts_list_response").iter_errors(contacts))
    assert errors == []


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
