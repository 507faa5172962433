"""Every fault mode behaves as configured, deterministically."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
import requests

from extractors.shopify.queries import BULK_RUN_MUTATION, BULK_STATUS_QUERY, ORDERS
from sandbox.server import FaultConfig, start_server
from sandbox.server.faults import FaultInjector
from tests.sandbox.fake_store import FakeStore
from tests.sandbox.test_server_shopify import SHOP, TOKEN

CW = {"api_access_token": "cw_sandbox_token"}
QUERY = "{ orders(first: 5) { nodes { id totalPriceSet { shopMoney { amount } } } } }"


@pytest.fixture(scope="module")
def store() -> FakeStore:
    return FakeStore(orders=40)


def post_gql(url: str, query: str = QUERY, variables: dict | None = None) -> requests.Response:
    return requests.post(
        f"{url}/shops/{SHOP}/admin/api/2026-07/graphql.json",
        json={"query": query, "variables": variables or {}},
        headers=TOKEN,
        timeout=30,
    )


def statuses(url: str, n: int) -> list[int]:
    return [post_gql(url).status_code for _ in range(n)]


def test_error_every_nth_request(store):
    running = start_server(store, faults=FaultConfig(error_every=3, error_status=502))
    try:
        assert statuses(running.url, 7) == [200, 200, 502, 200, 200, 502, 200]
    finally:
        running.stop()


def test_error_rate_is_deterministic_per_seed(store):
    runs = []
    for _ in range(2):
        running = start_server(store, faults=FaultConfig(error_rate=0.5, seed=7))
        try:
            runs.append(statuses(running.url, 12))
        finally:
            running.stop()
    assert runs[0] == runs[1]
    assert 503 in runs[0] and 200 in runs[0]


def test_throttle_bursts_graphql_and_rest(store):
    running = start_server(store, faults=FaultConfig(throttle_every=4, throttle_burst=2))
    try:
        codes = []
        for _ in range(8):
            body = post_gql(running.url).json()
            codes.append((body.get("errors") or [{}])[0].get("extensions", {}).get("code"))
        assert codes == [None, None, "THROTTLED", "THROTTLED"] * 2
        rest = [
            requests.get(f"{running.url}/api/v1/accounts/1/agents", headers=CW) for _ in range(4)
        ]
        assert [r.status_code for r in rest] == [200, 200, 429, 429]
        assert rest[2].headers["Retry-After"] == "1.0"
    finally:
        running.stop()


def _raw_post(url: str, body: dict) -> None:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    payload = json.dumps(body)
    conn.request(
        "POST",
        f"/shops/{SHOP}/admin/api/2026-07/graphql.json",
        body=payload,
        headers={**TOKEN, "Content-Type": "application/json"},
    )
    conn.getresponse().read()


def test_drop_connection_at_request_k(store):
    running = start_server(store, faults=FaultConfig(drop_at=2))
    try:
        _raw_post(running.url, {"query": QUERY})
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            _raw_post(running.url, {"query": QUERY})
        _raw_post(running.url, {"query": QUERY})  # only request 2 is dropped
    finally:
        running.stop()


def test_slow_responses_are_delayed(store):
    slept: list[float] = []
    running = start_server(store, faults=FaultConfig(delay_ms=250))
    running.sandbox.faults.sleep = slept.append
    try:
        # behaviour, not wall time: every data request waited delay_ms, control ones did not
        assert statuses(running.url, 2) == [200, 200]
        requests.get(f"{running.url}/_sandbox/config", timeout=30)
    finally:
        running.stop()
    assert slept == [0.25, 0.25]


def test_malformed_records_in_pages(store):
    running = start_server(store, faults=FaultConfig(malformed_rate=0.3, seed=3))
    try:
        query = "{ orders(first: 40) { nodes { id totalPriceSet { shopMoney { amount } } } } }"
        nodes = post_gql(running.url, query).json()["data"]["orders"]["nodes"]
        again = post_gql(running.url, query).json()["data"]["orders"]["nodes"]
    finally:
        running.stop()
    bad = [
        n
        for n in nodes
        if n["id"] is None or n["totalPriceSet"]["shopMoney"]["amount"] == "12,34.x"
    ]
    assert 0 < len(bad) < len(nodes)
    assert nodes == again  # deterministic


def test_malformed_lines_in_bulk_jsonl(store):
    running = start_server(store, faults=FaultConfig(malformed_rate=0.2, seed=1))
    try:
        run = post_gql(running.url, BULK_RUN_MUTATION, {"query": ORDERS.bulk_document()}).json()
        gid = run["data"]["bulkOperationRunQuery"]["bulkOperation"]["id"]
        for thread in running.sandbox.bulk.threads:
            thread.join(30)
        node = post_gql(running.url, BULK_STATUS_QUERY, {"id": gid}).json()["data"]["bulkOperation"]
        lines = requests.get(node["url"], timeout=30).text.splitlines()
    finally:
        running.stop()
    invalid, missing_id, good = 0, 0, 0
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            invalid += 1
            continue
        if row.get("id") is None:
            missing_id += 1
        else:
            good += 1
    assert invalid > 0 and missing_id > 0 and good > invalid + missing_id


def test_injector_decisions_in_order():
    injector = FaultInjector(
        FaultConfig(drop_at=3, error_every=5, throttle_every=4, throttle_burst=1)
    )
    assert [injector.next_request()[1] for _ in range(8)] == [
        None,
        None,
        "drop",
        "throttle",
        "error",
        None,
        None,
        "throttle",
    ]
