"""The kept-alive http.client path of HttpClient against urllib3's: same wire, same failures.

Most tests run on both paths ("urllib3": the light path switched off), so a difference between
them fails here."""

from __future__ import annotations

import datetime as dt
import gzip
import ipaddress
import json
import socket
import ssl
import threading
import time
import zlib

import pytest

from extractors.errors import ApiUnavailableError
from extractors.http import HttpClient, RetryPolicy
from extractors.http_fast import MAXSIZE, FastResponse
from tests.extractors.fake_http import FakeServer
from tests.extractors.raw_http import RawServer, answer

FAST = RetryPolicy(max_attempts=4, base_delay_s=0.01, max_delay_s=0.02, budget_s=10)
PATHS = ("fast", "urllib3")
BODY = {"payload": [{"id": i, "content": "héllo " * 20} for i in range(20)]}
RAW = json.dumps(BODY).encode()
LINES = b"".join(f'{{"n":{i},"pad":"{"x" * 50}"}}\n'.encode() for i in range(2000))


def _client(path: str, policy: RetryPolicy = FAST, **headers: str) -> HttpClient:
    http = HttpClient({"api_access_token": "secret", **headers}, policy, sleep=lambda s: None)
    if path == "urllib3":
        http._fast = None
    return http


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


ENCODINGS = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,  # zlib-wrapped
    "raw-deflate": _raw_deflate,  # sent as "deflate": the fallback
    "two-members": lambda data: gzip.compress(data[:100]) + gzip.compress(data[100:]),
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("coding", sorted(ENCODINGS))
def test_gzip_and_deflate_bodies_are_decoded(path, coding):
    header = {"Content-Encoding": "deflate" if "deflate" in coding else "gzip"}
    encode = ENCODINGS[coding]
    with FakeServer(
        default=lambda p, *_: (200, header, encode(LINES if p.endswith(".jsonl") else RAW))
    ) as server:
        http = _client(path)
        assert http.get_json(server.url + "/x") == BODY
        assert http.post_json(server.url + "/graphql.json", {"q": 1}) == BODY
        lines = list(http.stream_lines(server.url + "/bulk.jsonl"))
    assert lines == LINES.splitlines()


@pytest.mark.parametrize("path", PATHS)
def test_a_body_that_does_not_decode_is_a_content_decoding_error(path):
    bad = (200, {"Content-Encoding": "gzip"}, b"not gzip")
    failed = pytest.raises(ApiUnavailableError, match=r"4 attempts.*ContentDecodingError")
    with FakeServer(default=lambda *_: bad) as server, failed:
        _client(path).get_json(server.url + "/x")


@pytest.mark.parametrize("path", PATHS)
def test_chunked_and_unencoded_bodies(path):
    def handler(number, request):
        if b"bulk" in request:
            return answer(gzip.compress(LINES), {"Content-Encoding": "gzip"}, chunked=True), True
        return answer(RAW, chunked=True), True

    with RawServer(handler) as server:
        http = _client(path)
        assert http.get_json(server.url + "/x") == BODY
        lines = list(http.stream_lines(server.url + "/bulk"))
        assert http.get_json(server.url + "/x") == BODY
    if path == "fast":
        assert lines == LINES.splitlines()
    else:  # urllib3 2.8 leaves a chunked streamed body encoded (stream() -> read_chunked)
        assert lines != LINES.splitlines() and lines[0].startswith(b"\x1f\x8b")


def test_the_same_requests_go_out_on_the_wire():
    """Byte for byte: request line, Host, headers in order, Content-Length, JSON body."""
    seen: dict[str, list[bytes]] = {}
    for path in PATHS:
        with RawServer(lambda n, r: (answer(b"{}"), True)) as server:
            http = _client(path)
            http.get_json(server.url + "/api/v1/x", {"page": 2, "q": "a b/ü", "none": None})
            http.get_json(server.url + "/api/v1/y?since=1", {"ids": [1, 2]})
            http.post_json(server.url + "/graphql.json", {"query": "{ shop { id } }"})
            seen[path] = [r.replace(str(server.port).encode(), b"PORT") for r in server.requests]
    assert seen["fast"] == seen["urllib3"]
    first = seen["fast"][0].decode()
    assert first.startswith("GET /api/v1/x?page=2&q=a+b%2F%C3%BC HTTP/1.1\r\nHost: 127.0.0.1:PORT")
    assert "api_access_token: secret" in first and "Accept-Encoding: gzip, deflate" in first
    assert "Content-Type: application/json" in seen["fast"][2].decode()


@pytest.mark.parametrize("path", PATHS)
def test_a_kept_alive_connection_the_server_closed_is_reopened_without_a_failure(path):
    def handler(number, request):
        return answer(RAW), number > 0  # the first answered, then the connection closed

    with RawServer(handler) as server:
        http = _client(path)
        assert http.get_json(server.url + "/a") == BODY
        deadline = time.monotonic() + 10
        while not server.closed and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)  # the FIN reaches the client's idle socket
        assert http.get_json(server.url + "/b") == BODY
        assert http.get_json(server.url + "/c") == BODY
    assert http.stats.retries == 0 and http.stats.api_calls == 3
    assert len(server.requests) == 3 and server.connections == 2


@pytest.mark.parametrize("path", PATHS)
def test_connections_are_kept_alive(path):
    with RawServer(lambda n, r: (answer(RAW), True)) as server:
        http = _client(path)
        for _ in range(5):
            http.get_json(server.url + "/x")
        http.post_json(server.url + "/graphql.json", {})
        list(http.stream_lines(server.url + "/bulk.jsonl"))
        http.get_json(server.url + "/x")
    assert len(server.requests) == 8 and server.connections == 1  # a stream read to the end too
    if path == "fast":
        assert sum(len(idle) for idle in http._fast._idle.values()) == 1


@pytest.mark.parametrize("path", PATHS)
def test_a_read_timeout_is_retried_and_named(path):
    def handler(number, request):
        time.sleep(0.5)
        return b"", False

    policy = RetryPolicy(max_attempts=3, base_delay_s=0.01, budget_s=10, read_timeout_s=0.1)
    with RawServer(handler) as server:
        http = _client(path, policy)
        with pytest.raises(ApiUnavailableError, match=r"after 3 attempts.*\(last: ReadTimeout\)"):
            http.get_json(server.url + "/slow")
    assert len(server.requests) == 3 and http.stats.retries == 2


@pytest.mark.parametrize("path", PATHS)
def test_a_refused_connection_is_retried_and_named(path):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed again: nothing listens there
    http = _client(path, RetryPolicy(max_attempts=3, base_delay_s=0.01, budget_s=5))
    with pytest.raises(ApiUnavailableError, match=r"after 3 attempts.*\(last: ConnectionError\)"):
        http.get_json(f"http://127.0.0.1:{port}/nothing")
    assert http.stats.retries == 2


@pytest.mark.parametrize("path", PATHS)
def test_a_cut_short_or_unanswered_request_is_retried(path):
    script = [
        answer(RAW, length=len(RAW) + 10),  # body cut short
        b"garbage\r\n\r\n",  # no status line
        answer(RAW),
    ]

    with RawServer(lambda n, r: (script[n], n == len(script) - 1)) as server:
        http = _client(path, RetryPolicy(max_attempts=5, base_delay_s=0.01, budget_s=5))
        assert http.get_json(server.url + "/x") == BODY
    assert http.stats.retries == 2 and len(server.requests) == 3


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("coding", ["identity", "gzip"])
def test_a_stream_dropped_midway_resumes(path, coding):
    body = LINES if coding == "identity" else gzip.compress(LINES)
    headers = {} if coding == "identity" else {"Content-Encoding": "gzip"}
    cut = answer(body, headers, length=len(body))[: -len(body) // 2]  # half the body, then EOF

    def handler(number, request):
        return (cut, False) if number == 0 else (answer(body, headers), True)

    with RawServer(handler) as server:
        http = _client(path)
        lines = list(http.stream_lines(server.url + "/bulk.jsonl"))
    assert lines == LINES.splitlines()
    assert http.stats.retries == 1 and len(server.requests) == 2


def test_a_stream_left_half_read_never_goes_back_to_the_pool():
    with FakeServer(default=lambda *_: (200, {}, LINES)) as server:
        http = _client("fast")
        lines = http.stream_lines(server.url + "/bulk.jsonl")
        next(lines)
        lines.close()
        assert not any(http._fast._idle.values())
        list(http.stream_lines(server.url + "/bulk.jsonl"))  # read to the end: kept
        assert sum(len(idle) for idle in http._fast._idle.values()) == 1


def test_an_error_answer_to_a_stream_is_read_and_retried():
    script = [(503, {}, {"error": "busy"}), (200, {}, LINES)]
    with FakeServer(script) as server:
        http = _client("fast")
        assert list(http.stream_lines(server.url + "/bulk.jsonl")) == LINES.splitlines()
    assert http.stats.retries == 1


@pytest.mark.parametrize("path", PATHS)
def test_concurrent_calls_from_threads_never_mix_answers(path):
    def handler(number, request):
        target = request.split(b" ")[1]
        time.sleep(0.001)
        return answer(json.dumps({"path": target.decode()}).encode()), True

    errors: list[str] = []
    threads_n, calls = 24, 15
    with RawServer(handler) as server:
        http = _client(path)

        def work(worker: int) -> None:
            for call in range(calls):
                url = server.url + f"/w/{worker}/{call}"
                got = http.get_json(url)["path"]
                if got != f"/w/{worker}/{call}":
                    errors.append(f"{url} got {got}")

        pool = [threading.Thread(target=work, args=(w,)) for w in range(threads_n)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    assert errors == []
    assert len(server.requests) == threads_n * calls
    assert server.connections < threads_n * calls  # connections were reused
    if path == "fast":
        assert sum(len(idle) for idle in http._fast._idle.values()) <= MAXSIZE


@pytest.mark.parametrize("path", PATHS)
def test_redirects_are_followed(path):
    script = [(302, {"Location": "/moved"}, {}), (200, {}, {"ok": 1})]
    with FakeServer(script, default=lambda *_: (200, {}, {"ok": 1})) as server:
        http = _client(path)
        assert http.get_json(server.url + "/x") == {"ok": 1}
        assert [r[1] for r in server.requests] == ["/x", "/moved"]
        # a POST answered 303 is fetched with GET, without its body and Content-Type
        server.script = [(303, {"Location": server.url + "/done"}, {}), (200, {}, {"ok": 2})]
        assert http.post_json(server.url + "/graphql.json", {"q": 1}) == {"ok": 2}
        method, target, headers, body = server.requests[-1]
        assert (method, target, body, headers.get("Content-Type")) == ("GET", "/done", b"", None)
    assert http.stats.retries == 0


def test_a_proxy_from_the_environment_still_goes_through_urllib3(monkeypatch):
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with FakeServer(default=lambda *_: (200, {}, {"via": "proxy"})) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("http_proxy", proxy.url)
        http = _client("fast")
        assert http.get_json("http://api.example.test/x", {"page": 1}) == {"via": "proxy"}
        assert proxy.requests[0][1] == "http://api.example.test/x?page=1"  # absolute form
        assert not http._fast._idle
        monkeypatch.setenv("no_proxy", "127.0.0.1")
        with FakeServer() as direct:
            http = _client("fast")
            http.get_json(direct.url + "/y")
            assert len(direct.requests) == 1 and len(proxy.requests) == 1
            assert http._fast._idle  # no proxy applies: the light path


def test_fast_path_returns_its_own_response_and_urllib3_handles_the_rest():
    with FakeServer() as server:
        http = _client("fast")
        assert isinstance(http.request("GET", server.url + "/x"), FastResponse)
        # an unusual URL (urllib3 re-encodes it) and other methods go through urllib3
        assert not isinstance(http.request("GET", server.url + "/a b"), FastResponse)
        assert http._fast.request("PUT", server.url + "/x", None, http.headers, False) is None
        paths = [(r[0], r[1]) for r in server.requests]
    assert paths == [("GET", "/x"), ("GET", "/a%20b")]


# --- HTTPS with a local CA passed through REQUESTS_CA_BUNDLE ---


def _certificates(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def build(subject, issuer, key, signer, ca, san=None):
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
            cert = cert.add_extension(usage, critical=True)
            cert = cert.add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
        else:
            cert = cert.add_extension(x509.SubjectAlternativeName(san), critical=False)
            cert = cert.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
                critical=False,
            )
        return cert.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = build("hotrod test CA", "hotrod test CA", ca_key, ca_key, True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    leaf = build("localhost", "hotrod test CA", leaf_key, ca_key, False, names)
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    (tmp_path / "leaf.key").write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return tmp_path / "ca.pem"


@pytest.fixture
def tls_server(tmp_path, monkeypatch):
    ca = _certificates(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "leaf.key")
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))

    def handler(number, request):
        return answer(gzip.compress(RAW), {"Content-Encoding": "gzip"}), True

    with RawServer(handler, tls=context) as server:
        yield server


@pytest.mark.parametrize("path", PATHS)
def test_https_with_the_ca_bundle_from_the_environment(tls_server, path):
    http = _client(path)
    for _ in range(3):
        assert http.get_json(tls_server.url + "/x") == BODY
    localhost = tls_server.url.replace("127.0.0.1", "localhost")
    assert http.get_json(localhost + "/y") == BODY
    assert http.stats.retries == 0
    assert tls_server.connections == 2  # kept alive per host


@pytest.mark.parametrize("path", PATHS)
def test_https_refuses_a_certificate_from_an_unknown_ca(tls_server, path, monkeypatch):
    policy = RetryPolicy(max_attempts=2, base_delay_s=0.01, budget_s=5)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")  # certifi's bundle does not know the test CA
    with pytest.raises(ApiUnavailableError, match=r"\(last: SSLError\)"):
        _client(path, policy).get_json(tls_server.url + "/x")
