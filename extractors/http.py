"""One HTTP session factory for every API client: timeouts, bounded retries, latency stats.

Failures and throttling are budgeted apart:

- a failure (connection error, dropped connection, timeout, 5xx) is retried with jittered
  exponential backoff and spends from the request's failure budget (``max_attempts`` and
  ``budget_s``), so a dead API fails with a message naming the URL instead of hanging;
- throttling (HTTP 429, Shopify's ``THROTTLED``) only slows the run: the wait (``Retry-After``
  when given) is stretched by a random share (``throttle_jitter``) so concurrent clients do not
  retry in step, never spends the failure budget, and the client gives up only when its waits
  add up to ``throttle_budget_s`` over the whole run (the message names that bound).
"""

from __future__ import annotations

import itertools
import json as std_json
import os
import random
import re
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import certifi
import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)

from extractors.errors import ApiError, ApiUnavailableError
from extractors.http_fast import FastPath, FastResponse
from warehouse.json_codec import JSONDecodeError, loads

RETRYABLE_EXCEPTIONS = (
    ProtocolError,  # connection refused mid-way, dropped, reset; a truncated body
    urllib3.exceptions.TimeoutError,  # connect (NewConnectionError among them) and read
    DecodeError,
    SSLError,
    ProxyError,
)
# what a failure is called in messages (the names operators know from the requests era)
_PROBLEM_NAMES = (
    (NewConnectionError, "ConnectionError"),
    (ConnectTimeoutError, "ConnectTimeout"),
    (ReadTimeoutError, "ReadTimeout"),
    (ProtocolError, "ConnectionError"),
    (DecodeError, "ContentDecodingError"),
    (SSLError, "SSLError"),
    (ProxyError, "ProxyError"),
)
# what urllib3 drops when a 303 turns a request into a GET (RFC 9110, 15.4)
_CONTENT_HEADERS = frozenset(
    (
        "content-encoding",
        "content-language",
        "content-location",
        "content-type",
        "content-length",
        "digest",
        "last-modified",
        "transfer-encoding",
    )
)
_DEFAULT_HEADERS = {"Accept-Encoding": "gzip, deflate", "Accept": "*/*"}
# 19 digits in a row: perhaps an integer past 64 bits, which orjson reads as a float (the
# standard library reads it exactly); such an answer is read by the standard library
_WIDE_DIGITS = re.compile(rb"\d{19}")
STREAM_CHUNK = 1 << 20  # bytes read at a time from a streamed resource (stream_lines)
# no retries inside urllib3 (``request`` retries by its budgets); redirects followed as requests
# did (up to 30), a failure raised as itself
_URLLIB3_RETRIES = urllib3.Retry(
    total=None, connect=False, read=False, other=0, status=0, redirect=30, raise_on_status=False
)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8  # per request
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    budget_s: float = 300.0  # total time one request may spend retrying failures
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 120.0
    # throttling: waits summed over every request of one client (one shop/account and entity
    # of a run); past this the run stops with a message naming the bound
    throttle_budget_s: float = 3600.0
    throttle_jitter: float = 0.25  # a throttled wait lasts 1 to 1 + this times the asked wait

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff for the given (1-based) retry."""
        ceiling = min(self.max_delay_s, self.base_delay_s * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)

    def throttled_wait(self, asked: float) -> float:
        """The asked wait (never less: the API asked for it) stretched by a random share."""
        return max(0.0, asked) * (1.0 + random.uniform(0.0, self.throttle_jitter))


@dataclass
class CallStats:
    """What the API did during one entity extraction (for the load ledger)."""

    api_calls: int = 0
    throttled_waits: int = 0
    throttled_s: float = 0.0  # seconds spent waiting out throttling (summed over threads)
    retries: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(self, seconds: float) -> None:
        with self._lock:
            self.api_calls += 1
            self.latencies_ms.append(seconds * 1000.0)

    def add_throttled(self, seconds: float, bound: float) -> float | None:
        """Count a throttled wait; when it would take the total past ``bound`` count nothing
        and return the seconds already spent instead."""
        with self._lock:
            if self.throttled_s + seconds > bound:
                return self.throttled_s
            self.throttled_waits += 1
            self.throttled_s += seconds
            return None

    def percentile(self, q: float) -> float | None:
        if not self.latencies_ms:
            return None
        values = sorted(self.latencies_ms)
        index = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
        return round(values[index], 2)


def wait_throttled(
    policy: RetryPolicy,
    stats: CallStats,
    sleep: Callable[[float], None],
    asked: float,
    what: str,
    hint: str = "another client may be using the same rate limit; rerun later",
) -> None:
    """Sleep out a throttled request (jittered, counted in ``stats``); ApiUnavailableError
    naming the bound once the run's waits would pass ``policy.throttle_budget_s``."""
    seconds = policy.throttled_wait(asked)
    bound = policy.throttle_budget_s
    spent = stats.add_throttled(seconds, bound)
    if spent is not None:
        raise ApiUnavailableError(
            f"{what} kept throttling: {spent:.0f}s spent waiting in this run, and the next "
            f"wait would pass the run's throttling bound of {bound:.0f}s: {hint} (progress is "
            "saved; the rerun resumes)"
        )
    if seconds > 0:
        sleep(seconds)


class HttpClient:
    """Connection pools with the project's retry rules. Credentials come in as headers.

    A GET or POST to a plain http(s) URL no proxy applies to goes through kept-alive
    ``http.client`` connections (``extractors.http_fast``: about 40% less client CPU per call
    than urllib3; the Chatwoot extraction makes one call per conversation); anything else (proxies,
    redirects, unusual URLs) through urllib3. Both send the same requests on the wire (query
    strings, JSON bodies, headers, CA bundle as requests did) and fail the same ways.
    """

    def __init__(
        self,
        headers: Mapping[str, str] | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.headers = {**_DEFAULT_HEADERS, "User-Agent": "hotrod-extractors/1", **(headers or {})}
        self._options: dict[str, Any] = {
            "num_pools": 4,
            "maxsize": 16,
            "headers": self.headers,
            "retries": _URLLIB3_RETRIES,
            "timeout": urllib3.Timeout(
                connect=self.policy.connect_timeout_s, read=self.policy.read_timeout_s
            ),
            "ca_certs": _ca_bundle(),
        }
        self._direct = urllib3.PoolManager(**self._options)
        self._fast: FastPath | None = FastPath(
            self.policy.connect_timeout_s, self.policy.read_timeout_s, self._options["ca_certs"]
        )
        self._proxies = urllib.request.getproxies()  # the environment, read once
        self._proxied: dict[str, urllib3.ProxyManager] = {}
        self._lock = threading.Lock()
        self.stats = CallStats()
        self._sleep = sleep

    def close(self) -> None:
        if self._fast is not None:
            self._fast.clear()
        self._direct.clear()
        for manager in self._proxied.values():
            manager.clear()

    def _manager(self, url: str) -> urllib3.PoolManager:
        """The pools for ``url``: through the environment's proxy unless ``no_proxy`` names
        the host (as requests decided it)."""
        if not self._proxies:
            return self._direct
        parts = urllib.parse.urlsplit(url)
        proxy = self._proxies.get(parts.scheme) or self._proxies.get("all")
        if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
            return self._direct
        with self._lock:
            manager = self._proxied.get(proxy)
            if manager is None:
                manager = urllib3.ProxyManager(proxy, **self._options)
                self._proxied[proxy] = manager
        return manager

    def wait(self, seconds: float, throttled: bool = False, url: str = "") -> None:
        """Sleep; a ``throttled`` wait is jittered and counted against the throttling bound."""
        if throttled:
            self.throttle(seconds, url)
        elif seconds > 0:
            self._sleep(seconds)

    def throttle(self, asked: float, url: str) -> None:
        """Wait out throttling (never spends the failure budget); raises ApiUnavailableError
        once this client's throttled waits would pass ``policy.throttle_budget_s``."""
        wait_throttled(self.policy, self.stats, self._sleep, asked, url or "the API")

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        stream: bool = False,
    ) -> urllib3.BaseHTTPResponse | FastResponse:
        """Send with retries; returns a 2xx response or raises ApiError/ApiUnavailableError.

        A ``stream`` response is read by the caller, who releases it (``close``)."""
        policy = self.policy
        target = _with_params(url, params)
        body: bytes | None = None
        headers: dict[str, str] | None = None
        if json is not None:  # as requests encoded it
            body = std_json.dumps(json, allow_nan=False).encode()
            headers = {**self.headers, "Content-Type": "application/json"}
        manager = self._manager(target)
        fast = self._fast if manager is self._direct else None
        failures = 0  # failed attempts (throttled ones are not failures)
        throttled = 0  # 429s in a row without Retry-After (their backoff grows)
        failing_s = 0.0  # time spent on failed attempts and their backoff
        last_problem = ""
        while True:
            t0 = time.monotonic()
            try:
                try:
                    response = None
                    if fast is not None:  # None back: urllib3 sends it (an unusual URL)
                        sent = headers or self.headers
                        response = fast.request(method, target, body, sent, stream)
                        if response is not None and response.get_redirect_location():
                            response = self._redirected(
                                response, method, target, body, sent, stream
                            )
                    if response is None:
                        response = manager.request(
                            method, target, body=body, headers=headers, preload_content=not stream
                        )
                except MaxRetryError as exc:  # urllib3 gave up at once: the failure itself
                    raise exc.reason or ProtocolError(str(exc)) from None
            except RETRYABLE_EXCEPTIONS as exc:
                self.stats.record(time.monotonic() - t0)
                last_problem = _problem_name(exc)
            else:
                self.stats.record(time.monotonic() - t0)
                status = response.status
                if status < 400:
                    return response
                text = _short_body(response)
                response.close()
                if status == 429:
                    throttled += 1
                    self.throttle(_retry_after(response) or policy.backoff(throttled), url)
                    continue
                if status < 500:
                    raise ApiError(_client_error_message(method, url, status, text), status)
                last_problem = f"HTTP {status}"
            failures += 1
            failing_s += time.monotonic() - t0
            delay = policy.backoff(failures)
            if failures >= policy.max_attempts or failing_s + delay > policy.budget_s:
                raise ApiUnavailableError(
                    f"{method} {url} failed after {failures} attempts in {failing_s:.0f}s "
                    f"(last: {last_problem}): check the API is up and reachable, then rerun "
                    "(progress is saved; the rerun resumes)"
                )
            failing_s += delay
            self.stats.retries += 1
            self._sleep(delay)

    def _redirected(
        self,
        response: FastResponse,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        stream: bool,
    ) -> urllib3.BaseHTTPResponse:
        """A redirect answered on the light path, followed by urllib3 as it follows its own
        (one redirect spent of the 30; 303 turns into a body-less GET; credentials in
        Authorization/Cookie headers are not sent to another host)."""
        location = urllib.parse.urljoin(url, str(response.get_redirect_location()))
        response.close()
        retries = _URLLIB3_RETRIES.increment(method, url, response=response)  # type: ignore[arg-type]
        sent = dict(headers)
        if response.status == 303:
            method, body = "GET", None
            sent = {k: v for k, v in sent.items() if k.lower() not in _CONTENT_HEADERS}
        if not self._direct.connection_from_url(url).is_same_host(location):
            drop = retries.remove_headers_on_redirect
            sent = {k: v for k, v in sent.items() if k.lower() not in drop}
        return self._manager(location).request(
            method, location, body=body, headers=sent, preload_content=not stream, retries=retries
        )

    def get_json(self, url: str, params: Mapping[str, Any] | None = None) -> Any:
        response = self.request("GET", url, params=params)
        return _json_of(response, url)

    def post_json(self, url: str, payload: Any) -> Any:
        response = self.request("POST", url, json=payload)
        return _json_of(response, url)

    def stream_lines(self, url: str, skip: int = 0) -> Iterator[bytes]:
        """The lines of a (large) text resource, resuming after dropped connections.

        A dropped download is reopened and the lines already yielded are skipped, so callers
        see each line once. Reconnects spend the same retry budget as requests. The lines are
        read a chunk's worth at a time (``itertools.chain`` hands them on, no Python step per
        line).
        """
        return _Lines(self._line_lists(url, skip))

    def _line_lists(self, url: str, skip: int) -> Generator[list[bytes], None, None]:
        """``stream_lines``' lines, one list per chunk read (empty lines left out)."""
        yielded = skip
        reconnects = 0
        while True:
            response = self.request("GET", url, stream=True)
            seen = 0
            try:
                for lines in _chunk_lines(response.stream(STREAM_CHUNK)):
                    lines = [line for line in lines if line]
                    seen += len(lines)
                    fresh = seen - yielded  # lines of this chunk not handed on before a drop
                    if fresh <= 0:
                        continue
                    if fresh < len(lines):
                        lines = lines[-fresh:]
                    yielded = seen
                    yield lines
                return
            except RETRYABLE_EXCEPTIONS as exc:
                reconnects += 1
                if reconnects >= self.policy.max_attempts:
                    raise ApiUnavailableError(
                        f"GET {url} dropped {reconnects} times ({type(exc).__name__}): "
                        "check the API is up, then rerun (progress is saved)"
                    ) from None
                self.stats.retries += 1
                self._sleep(self.policy.backoff(reconnects))
            finally:
                response.close()  # a stream left half read never goes back to the pool
                response.release_conn()


def _ca_bundle() -> str:
    """The CA bundle for HTTPS: the one the environment names (``REQUESTS_CA_BUNDLE`` or
    ``CURL_CA_BUNDLE``, as requests read them), else certifi's (requests' default)."""
    return (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or certifi.where()
    )


def _with_params(url: str, params: Mapping[str, Any] | None) -> str:
    """``url`` with ``params`` as its query string (encoded as requests encoded them)."""
    if not params:
        return url
    query = urllib.parse.urlencode([(k, v) for k, v in params.items() if v is not None], doseq=True)
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"


class _Lines:
    """The lines of lists of lines: iterated by ``itertools.chain`` itself; ``close`` ends the
    read (its response is closed, never pooled half read) as closing a generator would."""

    def __init__(self, lists: Generator[list[bytes], None, None]) -> None:
        self._lists = lists
        self._lines = itertools.chain.from_iterable(lists)

    def __iter__(self) -> Iterator[bytes]:
        return self._lines

    def __next__(self) -> bytes:
        return next(self._lines)

    def close(self) -> None:
        self._lists.close()


def _chunk_lines(chunks: Iterator[bytes]) -> Iterator[list[bytes]]:
    """The lines of a byte stream, a list per chunk (``bytes.splitlines``; a line split across
    chunks is joined, and handed on with the chunk where it ends), as requests' ``iter_lines``
    gave them. Only the split line is copied, never the chunk it ends in."""
    pending: bytes | None = None
    for chunk in chunks:
        if not chunk:
            continue
        lines = chunk.splitlines()
        if pending is not None:  # (a chunk starting with a line break splits as b"" first)
            lines[0] = pending + lines[0]
        pending = lines.pop() if chunk[-1:] not in (b"\r", b"\n") else None
        yield lines
    if pending is not None:
        yield [pending]


def _problem_name(exc: BaseException) -> str:
    for kind, name in _PROBLEM_NAMES:
        if isinstance(exc, kind):
            return name
    return type(exc).__name__


def _json_of(response: urllib3.BaseHTTPResponse | FastResponse, url: str) -> Any:
    data = response.data
    if _WIDE_DIGITS.search(data) is None:  # no integer orjson could read as a float
        try:
            return loads(data)
        except JSONDecodeError:
            pass  # NaN, a lone surrogate, not UTF-8...: read as the standard library reads it
    try:
        return std_json.loads(data)  # bytes: UTF-8/16/32 detected, as requests did
    except ValueError:
        raise ApiError(
            f"{url} answered {response.status} with a body that is not JSON "
            f"({_short_body(response)!r}): check the base URL points at the API"
        ) from None


def _retry_after(response: urllib3.BaseHTTPResponse | FastResponse) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _short_body(response: urllib3.BaseHTTPResponse | FastResponse) -> str:
    try:
        return response.data[:400].decode("utf-8", errors="replace")[:200].replace("\n", " ")
    except Exception:  # noqa: BLE001 - only used for messages
        return ""


def _client_error_message(method: str, url: str, status: int, body: str) -> str:
    hint = {
        401: "check the access token",
        403: "check the token's scopes/permissions",
        404: "check the base URL, shop or account id",
    }.get(status, "check the request and the API version")
    return f"{method} {url} answered HTTP {status} ({body[:120]}): {hint}"
