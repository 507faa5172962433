"""HTTP retries, throttling and client error handling against scripted local servers."""

from __future__ import annotations

import json

import pytest
from urllib3.exceptions import ProtocolError

from extractors.chatwoot.client import ChatwootClient
from extractors.errors import ApiError, ApiUnavailableError
from extractors.http import HttpClient, RetryPolicy, _json_of
from extractors.shopify.client import BulkWaitError, ShopifyClient, _throttle_wait
from tests.extractors.fake_http import FakeServer

FAST = RetryPolicy(max_attempts=5, base_delay_s=0.01, max_delay_s=0.05, budget_s=10)
TOKEN = "shpat_super_secret_value"


def _client(sleeps: list[float] | None = None, policy: RetryPolicy = FAST) -> HttpClient:
    record = sleeps.append if sleeps is not None else (lambda s: None)
    return HttpClient({"X-Shopify-Access-Token": TOKEN}, policy, sleep=record)


def test_5xx_and_dropped_connections_are_retried():
    script = [(503, {}, {"error": "busy"}), "drop", (500, {}, "oops"), (200, {}, {"ok": 1})]
    with FakeServer(script) as server:
        http = _client()
        assert http.get_json(server.url + "/x") == {"ok": 1}
        assert len(server.requests) == 4
        assert http.stats.retries == 3
        assert http.stats.api_calls == 4
        assert http.stats.percentile(0.95) is not None


def test_429_waits_at_least_retry_after_with_jitter():
    sleeps: list[float] = []
    with FakeServer([(429, {"Retry-After": "2.5"}, {}), (200, {}, [1])]) as server:
        http = _client(sleeps)
        assert http.get_json(server.url + "/x") == [1]
    assert len(sleeps) == 1
    assert 2.5 <= sleeps[0] <= 2.5 * (1 + FAST.throttle_jitter)
    assert http.stats.throttled_waits == 1
    assert http.stats.retries == 0  # a throttled answer is not a failure


def test_throttling_never_spends_the_failure_budget():
    """Many more 429s than max_attempts, mixed with 5xx: the request still succeeds, and only
    the 5xx answers count as failed attempts."""
    throttled = (429, {"Retry-After": "1"}, {})
    script = [throttled] * 12 + [(503, {}, {})] * (FAST.max_attempts - 1) + [throttled] * 12
    sleeps: list[float] = []
    with FakeServer([*script, (200, {}, {"ok": True})]) as server:
        http = _client(sleeps)
        assert http.get_json(server.url + "/x") == {"ok": True}
    assert http.stats.throttled_waits == 24
    assert http.stats.retries == FAST.max_attempts - 1
    waits = sleeps[:12]
    assert all(1.0 <= w <= 1 + FAST.throttle_jitter for w in waits)
    assert len(set(waits)) > 1, "throttled waits must be jittered, not all equal"


def test_429_without_retry_after_backs_off_and_grows():
    sleeps: list[float] = []
    script = [(429, {}, {})] * 4 + [(200, {}, [])]
    with FakeServer(script) as server:
        _client(sleeps).get_json(server.url + "/x")
    assert len(sleeps) == 4 and sleeps[-1] > sleeps[0]


def test_throttling_gives_up_only_past_the_runs_total_bound():
    policy = RetryPolicy(
        max_attempts=2, base_delay_s=0.01, max_delay_s=0.05, budget_s=1, throttle_budget_s=30
    )
    sleeps: list[float] = []
    with FakeServer(default=lambda *_: (429, {"Retry-After": "4"}, {})) as server:
        http = _client(sleeps, policy)
        with pytest.raises(ApiUnavailableError) as err:
            http.get_json(server.url + "/slow")
    message = str(err.value)
    assert "throttling bound of 30s" in message and "rerun" in message
    assert server.url + "/slow" in message
    # every wait was taken (far more than max_attempts) until the next would pass the bound
    assert len(sleeps) >= 6 and sum(sleeps) <= 30
    assert http.stats.throttled_s == pytest.approx(sum(sleeps))


def test_a_dead_api_fails_with_a_clear_message_naming_the_url():
    with FakeServer(default=lambda *_: (503, {}, {})) as server:
        http = _client()
        with pytest.raises(ApiUnavailableError) as err:
            http.get_json(server.url + "/admin/api/x")
    message = str(err.value)
    assert server.url + "/admin/api/x" in message
    assert "5 attempts" in message and "rerun" in message
    assert TOKEN not in message


def test_nothing_listening_fails_within_the_budget():
    http = _client(
        policy=RetryPolicy(max_attempts=3, base_delay_s=0.01, budget_s=5, connect_timeout_s=1)
    )
    with pytest.raises(ApiUnavailableError, match="ConnectionError"):
        http.get_json("http://127.0.0.1:9/nothing")


def test_401_is_not_retried_and_says_what_to_do():
    with FakeServer([(401, {}, {"errors": "bad token"})]) as server:
        http = _client()
        with pytest.raises(ApiError, match="check the access token") as err:
            http.post_json(server.url + "/graphql.json", {})
        assert len(server.requests) == 1
    assert TOKEN not in str(err.value)


def test_stream_lines_resumes_after_a_dropped_download():
    body = b"\n".join(f'{{"n":{i}}}'.encode() for i in range(5)) + b"\n"
    script = ["drop", (200, {}, body)]
    with FakeServer(script) as server:
        lines = list(_client().stream_lines(server.url + "/bulk.jsonl", skip=2))
    assert lines == [b'{"n":2}', b'{"n":3}', b'{"n":4}']


class _Streamed:
    """A streamed answer in chunks, dropped (ProtocolError) after them when ``drop``."""

    def __init__(self, chunks: list[bytes], drop: bool) -> None:
        self.chunks, self.drop, self.closed = chunks, drop, False

    def stream(self, _size: int):
        yield from self.chunks
        if self.drop:
            raise ProtocolError("connection dropped")

    def close(self) -> None:
        self.closed = True

    def release_conn(self) -> None:
        return None


def test_stream_lines_resumes_a_drop_between_chunks_without_a_line_twice(monkeypatch):
    """Lines come a chunk at a time: a line split over two chunks is whole, empty lines are left
    out, and after a drop the new download skips every line already handed on."""
    chunks = [b'{"n":0}\n{"n":1}\n{"n', b'":2}\n\n{"n":3}\n', b'{"n":4}\n{"n":5}']
    answers = [_Streamed(chunks[:2], drop=True), _Streamed(chunks, drop=False)]
    given = iter(answers)
    http = _client()
    monkeypatch.setattr(http, "request", lambda *_args, **_kwargs: next(given))
    lines = list(http.stream_lines("http://api.invalid/bulk.jsonl", skip=1))
    assert lines == [b'{"n":%d}' % n for n in range(1, 6)]
    assert http.stats.retries == 1 and all(answer.closed for answer in answers)
    # closed half read: its answer is closed at once
    half = _Streamed(chunks, drop=False)
    monkeypatch.setattr(http, "request", lambda *_args, **_kwargs: half)
    lines = http.stream_lines("http://api.invalid/bulk.jsonl")
    assert next(lines) == b'{"n":0}' and not half.closed
    lines.close()
    assert half.closed


def _graphql(data=None, errors=None, available=1000.0, requested=10):
    body = {
        "extensions": {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": requested,
                "throttleStatus": {
                    "maximumAvailable": 2000.0,
                    "currentlyAvailable": available,
                    "restoreRate": 100.0,
                },
            }
        }
    }
    if data is not None:
        body["data"] = data
    if errors is not None:
        body["errors"] = errors
    return (200, {}, body)


def test_throttled_graphql_waits_for_the_restore_rate_and_never_fails():
    throttled = _graphql(
        errors=[{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        available=50.0,
        requested=250,
    )
    sleeps: list[float] = []
    # far more THROTTLED answers in a row than any attempt count: waits only, never a failure
    script = [throttled] * 40 + [_graphql({"shop": {"id": "1"}})]
    with FakeServer(script) as server:
        http = _client(sleeps)
        client = ShopifyClient(http, server.url + "/graphql.json")
        assert client.query("{ shop { id } }") == {"shop": {"id": "1"}}
    # (250 - 50) / 100 = 2 s each, stretched by up to the jitter share
    assert len(sleeps) == 40
    assert all(2.0 <= s <= 2.0 * (1 + FAST.throttle_jitter) for s in sleeps)
    assert len(set(sleeps)) > 1
    assert http.stats.throttled_waits == 40 and http.stats.retries == 0


def test_shopify_throttling_stops_at_the_runs_bound_with_a_clear_message():
    throttled = _graphql(
        errors=[{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        available=0.0,
        requested=1000,
    )
    policy = RetryPolicy(max_attempts=3, base_delay_s=0.01, budget_s=1, throttle_budget_s=60)
    with FakeServer(default=lambda *_: throttled) as server:
        client = ShopifyClient(_client([], policy), server.url + "/graphql.json")
        with pytest.raises(ApiUnavailableError, match="throttling bound of 60s"):
            client.query("{ shop { id } }")


def test_throttle_wait_formula():
    cost = {
        "requestedQueryCost": 500,
        "throttleStatus": {"currentlyAvailable": 100, "restoreRate": 50},
    }
    assert _throttle_wait(cost, fallback=0) == 8.0
    assert (
        _throttle_wait(
            {
                "requestedQueryCost": 5,
                "throttleStatus": {"currentlyAvailable": 100, "restoreRate": 50},
            },
            fallback=0,
        )
        == 0.0
    )
    assert _throttle_wait({}, fallback=1.5) == 1.5


def test_graphql_errors_become_clear_exceptions():
    with FakeServer(
        [_graphql(errors=[{"message": "Field 'nope' doesn't exist on type 'Shop'"}])]
    ) as server:
        client = ShopifyClient(_client(), server.url + "/graphql.json")
        with pytest.raises(ApiError, match="Field 'nope' doesn't exist"):
            client.query("{ shop { nope } }")


def test_bulk_operation_is_started_polled_and_downloaded():
    jsonl = b'{"id":"gid://shopify/Order/1","updatedAt":"2026-01-01T00:00:00Z"}\n'

    def answer(path, headers, body):
        if path.endswith(".jsonl"):
            return (200, {}, jsonl)
        if b"bulkOperationRunQuery" in body:
            return _graphql(
                {
                    "bulkOperationRunQuery": {
                        "bulkOperation": {
                            "id": "gid://shopify/BulkOperation/9",
                            "status": "CREATED",
                        },
                        "userErrors": [],
                    }
                }
            )
        assert b"bulkOperation(id: $id)" in body  # not the deprecated currentBulkOperation
        return _graphql(
            {
                "bulkOperation": {
                    "id": "gid://shopify/BulkOperation/9",
                    "status": status.pop(0),
                    "url": server.url + "/r.jsonl",
                }
            }
        )

    status = ["RUNNING", "RUNNING", "COMPLETED"]
    with FakeServer(default=answer) as server:
        client = ShopifyClient(_client(), server.url + "/graphql.json")
        op = client.start_bulk("{ orders { edges { node { id } } } }")
        node = client.wait_bulk(op)
        assert node["status"] == "COMPLETED"
        assert list(client.bulk_lines(node["url"])) == [jsonl.strip()]


def test_bulk_waits_are_bounded_with_an_error_naming_the_fix():
    """A full shop (LIMIT_REACHED) is waited out and retried; a wait past the bound stops
    with one line naming the operation and the setting."""
    limit = {
        "bulkOperationRunQuery": {
            "bulkOperation": None,
            "userErrors": [
                {
                    "field": None,
                    "message": "Bulk operations limit reached.",
                    "code": "LIMIT_REACHED",
                }
            ],
        }
    }
    started = {
        "bulkOperationRunQuery": {
            "bulkOperation": {"id": "gid://shopify/BulkOperation/7", "status": "CREATED"},
            "userErrors": [],
        }
    }
    running = {"bulkOperation": {"id": "gid://shopify/BulkOperation/7", "status": "RUNNING"}}
    sleeps: list[float] = []
    script = [_graphql(limit), _graphql(limit), _graphql(started)] + [_graphql(running)] * 50
    with FakeServer(script) as server:
        client = ShopifyClient(
            _client(), server.url + "/graphql.json", bulk_max_wait_s=5, sleep=sleeps.append
        )
        assert client.start_bulk("{ orders { edges { node { id } } } }").endswith("/7")
        assert sleeps[:2] == [1.0, 2.0]  # backed off twice while the shop's slots were in use
        with pytest.raises(BulkWaitError, match="BulkOperation/7 still RUNNING after.*rerun"):
            client.wait_bulk("gid://shopify/BulkOperation/7")


def test_chatwoot_client_unwraps_every_answer_shape():
    pages = [
        (200, {}, {"data": {"meta": {}, "payload": [{"id": 1}]}}),
        (200, {}, {"meta": {}, "payload": [{"id": 5}]}),
        (200, {}, [{"id": 7}]),
        (200, {}, {"payload": [{"id": 9}]}),
    ]
    with FakeServer(pages) as server:
        client = ChatwootClient(_client(), server.url, "3")
        assert client.conversations_page(1) == [{"id": 1}]
        assert client.messages_page(1) == [{"id": 5}]
        assert client.agents() == [{"id": 7}]
        assert client.inboxes() == [{"id": 9}]
        paths = [r[1] for r in server.requests]
    assert paths[0] == "/api/v1/accounts/3/conversations?status=all&page=1"
    assert paths[1] == "/api/v1/accounts/3/conversations/1/messages"


class _Answer:
    status = 200

    def __init__(self, data: bytes) -> None:
        self.data = data


@pytest.mark.parametrize(
    "body",
    [
        '{"id": 7, "price": 12.5, "name": "Ford \\u00e9", "tags": [], "n": null}',
        '{"id": 123456789012345678901234567890, "neg": -9223372036854775809}',  # past 64 bits
        '{"x": NaN, "y": 1e400}',  # the standard library's extensions
        '{"s": "\\ud800"}',  # a lone surrogate
    ],
)
def test_json_answers_read_as_the_standard_library_reads_them(body):
    for data in (body.encode(), body.encode("utf-16")):
        got = _json_of(_Answer(data), "http://api.invalid/x")
        assert repr(got) == repr(json.loads(data))  # exact ints, NaN and inf as they were


def test_an_answer_that_is_not_json_names_the_base_url():
    with pytest.raises(ApiError, match="not JSON.*check the base URL"):
        _json_of(_Answer(b"<html>"), "http://api.invalid/x")
