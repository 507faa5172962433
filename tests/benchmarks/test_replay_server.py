"""The replay server of the extractor-only stage (benchmarks/harness/replay.py), over raw sockets:
keep-alive, requests in pieces, misses counted, large answers to slow readers, the stats."""

from __future__ import annotations

import json
import pickle
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from benchmarks.harness.replay import PLACEHOLDER, Replay, start_replay

BIG = b"".join(b'{"id":%d,"n":"%s"}\n' % (i, b"x" * 40) for i in range(600_000))  # ~36 MB
QUERY = json.dumps({"query": "{ shop { id } }", "variables": {"after": "abc" * 2000}}).encode()


def _recording() -> dict:
    answers = {
        ("GET", f"/api/v1/items?page={i}", b""): (
            200,
            [("Content-Type", "application/json"), ("Link", f"<{PLACEHOLDER.decode()}/next>")],
            json.dumps({"page": i, "items": ["y" * 100] * i}).encode(),
        )
        for i in range(1, 30)
    }
    answers[("POST", "/admin/api/graphql.json", QUERY)] = (
        200,
        [("Content-Type", "application/json")],
        b'{"data":{"url":"' + PLACEHOLDER + b'/bulk/1.jsonl"}}',
    )
    answers[("GET", "/bulk/1.jsonl", b"")] = (200, [("Content-Type", "application/jsonl")], BIG)
    answers[("GET", "/slow", b"")] = (429, [("Retry-After", "2")], b"")
    return answers


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replay]:
    path = tmp_path_factory.mktemp("replay") / "replay.pickle"
    path.write_bytes(pickle.dumps(_recording(), protocol=pickle.HIGHEST_PROTOCOL))
    replay = start_replay(path)
    try:
        yield replay
    finally:
        replay.stop()


def _connect(replay: Replay) -> socket.socket:
    host, port = replay.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=30)


def _request(method: str, path: str, body: bytes = b"", extra: str = "") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: replay\r\nAccept-Encoding: gzip, deflate\r\n"
    head += f"Content-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


def _answer(stream) -> tuple[int, dict[str, str], bytes]:
    status = int(stream.readline().split()[1])
    headers: dict[str, str] = {}
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.lower()] = value.strip()
    return status, headers, stream.read(int(headers["content-length"]))


def test_keep_alive_answers_several_requests_on_one_connection(served: Replay) -> None:
    with _connect(served) as sock, sock.makefile("rb") as stream:
        for page in (1, 2, 3, 2):
            sock.sendall(_request("GET", f"/api/v1/items?page={page}"))
            status, headers, body = _answer(stream)
            assert status == 200
            assert headers["content-type"] == "application/json"
            assert json.loads(body)["page"] == page
            assert headers["link"] == f"<{served.url}/next>"  # relinked once, at start
        sock.sendall(_request("GET", "/slow"))
        assert _answer(stream) == (429, {"retry-after": "2", "content-length": "0"}, b"")


def test_a_request_in_pieces_is_answered_once_complete(served: Replay) -> None:
    whole = _request("POST", "/admin/api/graphql.json", QUERY, "Content-Type: application/json\r\n")
    with _connect(served) as sock, sock.makefile("rb") as stream:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cuts = [0, 7, 40, len(whole) - len(QUERY) - 1, len(whole) - 500, len(whole)]
        for start, stop in zip(cuts, cuts[1:], strict=False):
            sock.sendall(whole[start:stop])
            time.sleep(0.05)
        status, _headers, body = _answer(stream)
        assert status == 200
        assert body == f'{{"data":{{"url":"{served.url}/bulk/1.jsonl"}}}}'.encode()


def test_an_unknown_request_is_a_counted_404(served: Replay) -> None:
    before = served.stats()
    answer = requests.post(f"{served.url}/admin/api/graphql.json", data=b"{}", timeout=30)
    assert answer.status_code == 404
    assert answer.json() == {"errors": "not recorded: POST /admin/api/graphql.json"}
    requests.get(f"{served.url}/api/v1/items?page=1", timeout=30).raise_for_status()
    after = served.stats()
    assert after["missed"] == before["missed"] + 1
    assert after["missed_requests"][-1] == "POST /admin/api/graphql.json"  # named, to tell why
    assert after["answered"] == before["answered"] + 1  # the stats themselves are not counted
    assert after["recorded"] == len(_recording())


def test_connection_close_is_honoured(served: Replay) -> None:
    with _connect(served) as sock, sock.makefile("rb") as stream:
        sock.sendall(_request("GET", "/api/v1/items?page=4", extra="Connection: close\r\n"))
        assert _answer(stream)[0] == 200
        assert stream.read() == b""  # closed by the server


def test_a_malformed_request_drops_only_its_connection(served: Replay) -> None:
    for bad in (b"GARBAGE\r\n\r\n", b"POST /slow HTTP/1.1\r\nContent-Length: -3\r\n\r\nabc"):
        with _connect(served) as sock, sock.makefile("rb") as stream:
            sock.sendall(bad)
            assert stream.read() == b""
    requests.get(f"{served.url}/api/v1/items?page=1", timeout=30).raise_for_status()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_a_large_answer_streams_to_slow_readers_without_holding_back_others(
    served: Replay,
) -> None:
    rss_before = _rss_mb(served.process.pid)
    slow = []
    for _ in range(4):  # four downloads stalled after a few bytes
        sock = _connect(served)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.sendall(_request("GET", "/bulk/1.jsonl"))
        slow.append(sock)
    try:
        time.sleep(0.3)
        started = time.perf_counter()
        with requests.Session() as session:  # another client is answered meanwhile
            for page in range(1, 30):
                session.get(f"{served.url}/api/v1/items?page={page}", timeout=5).raise_for_status()
        assert time.perf_counter() - started < 5
        # the stalled downloads cost the server no copy of the body each
        assert _rss_mb(served.process.pid) - rss_before < 20
        for sock in slow:  # then each download completes, byte for byte
            with sock.makefile("rb") as stream:
                status, headers, body = _answer(stream)
            assert status == 200 and headers["content-type"] == "application/jsonl"
            assert int(headers["content-length"]) == len(BIG) and body == BIG
    finally:
        for sock in slow:
            sock.close()


def test_many_concurrent_keep_alive_clients(served: Replay) -> None:
    before = served.stats()["answered"]
    failures: list[str] = []

    def client(k: int) -> None:
        with requests.Session() as session:
            for j in range(40):
                page = (k + j) % 29 + 1
                answer = session.get(f"{served.url}/api/v1/items?page={page}", timeout=30)
                if answer.status_code != 200 or answer.json()["page"] != page:
                    failures.append(f"{k}/{j}: {answer.status_code}")

    threads = [threading.Thread(target=client, args=(k,)) for k in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert served.stats()["answered"] == before + 16 * 40


def test_stats_and_peak_rss(served: Replay) -> None:
    stats = requests.get(f"{served.url}/_replay/stats", timeout=30).json()
    assert set(stats) == {"answered", "missed", "recorded", "missed_requests"}
    assert served.peak_rss_mb() > len(BIG) / 1e6


def test_stopped_by_pid(tmp_path: Path) -> None:
    path = tmp_path / "replay.pickle"
    path.write_bytes(pickle.dumps(_recording(), protocol=pickle.HIGHEST_PROTOCOL))
    replay = start_replay(path)
    assert replay.url.startswith("http://127.0.0.1:")
    replay.stop()
    assert replay.process.returncode is not None
