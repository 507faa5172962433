"""One HTTP session factory for every API client: timeouts, bounded retries, latency stats.

Retries (exponential backoff with jitter) on connection errors, dropped connections, timeouts
and 5xx; a 429 waits for ``Retry-After``. Every retry spends from one total budget (attempts and
seconds) so a dead API fails with a message naming the URL instead of hanging.
"""

from __future__ import annotations

import os
import random
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from extractors.errors import ApiError, ApiUnavailableError

RETRYABLE_EXCEPTIONS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8  # per request
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    budget_s: float = 300.0  # total time one request may spend retrying
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 120.0

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff for the given (1-based) retry."""
        ceiling = min(self.max_delay_s, self.base_delay_s * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)


@dataclass
class CallStats:
    """What the API did during one entity extraction (for the load ledger)."""

    api_calls: int = 0
    throttled_waits: int = 0
    retries: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(self, seconds: float) -> None:
        with self._lock:
            self.api_calls += 1
            self.latencies_ms.append(seconds * 1000.0)

    def percentile(self, q: float) -> float | None:
        if not self.latencies_ms:
            return None
        values = sorted(self.latencies_ms)
        index = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
        return round(values[index], 2)


class HttpClient:
    """A requests session with the project's retry rules. Credentials come in as headers."""

    def __init__(
        self,
        headers: Mapping[str, str] | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=16)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"User-Agent": "hotrod-extractors/1", **(headers or {})})
        self._ca_bundle = _settle_environment(self.session)
        self.policy = policy or RetryPolicy()
        self.stats = CallStats()
        self._sleep = sleep

    def close(self) -> None:
        self.session.close()

    def wait(self, seconds: float, throttled: bool = False) -> None:
        if throttled:
            self.stats.throttled_waits += 1
        if seconds > 0:
            self._sleep(seconds)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        stream: bool = False,
    ) -> requests.Response:
        """Send with retries; returns a 2xx response or raises ApiError/ApiUnavailableError."""
        policy = self.policy
        # a bundle path makes requests stat it on every call: only HTTPS needs it
        verify: bool | str = True
        if self._ca_bundle and url.startswith("https:"):
            verify = self._ca_bundle
        started = time.monotonic()
        attempt = 0
        last_problem = ""
        while True:
            attempt += 1
            t0 = time.monotonic()
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    stream=stream,
                    verify=verify,
                    timeout=(policy.connect_timeout_s, policy.read_timeout_s),
                )
            except RETRYABLE_EXCEPTIONS as exc:
                self.stats.record(time.monotonic() - t0)
                last_problem = f"{type(exc).__name__}"
                delay = policy.backoff(attempt)
            else:
                self.stats.record(time.monotonic() - t0)
                status = response.status_code
                if status < 400:
                    return response
                body = _short_body(response)
                response.close()
                if status == 429:
                    last_problem = "429 Too Many Requests"
                    delay = _retry_after(response) or policy.backoff(attempt)
                    self.stats.throttled_waits += 1
                elif status >= 500:
                    last_problem = f"HTTP {status}"
                    delay = policy.backoff(attempt)
                else:
                    raise ApiError(_client_error_message(method, url, status, body), status)
            elapsed = time.monotonic() - started
            if attempt >= policy.max_attempts or elapsed + delay > policy.budget_s:
                raise ApiUnavailableError(
                    f"{method} {url} failed after {attempt} attempts in {elapsed:.0f}s "
                    f"(last: {last_problem}): check the API is up and reachable, then rerun "
                    "(progress is saved; the rerun resumes)"
                )
            self.stats.retries += 1
            self._sleep(delay)

    def get_json(self, url: str, params: Mapping[str, Any] | None = None) -> Any:
        response = self.request("GET", url, params=params)
        return _json_of(response, url)

    def post_json(self, url: str, payload: Any) -> Any:
        response = self.request("POST", url, json=payload)
        return _json_of(response, url)

    def stream_lines(self, url: str, skip: int = 0) -> Iterator[bytes]:
        """The lines of a (large) text resource, resuming after dropped connections.

        A dropped download is reopened and the lines already yielded are skipped, so callers
        see each line once. Reconnects spend the same retry budget as requests.
        """
        yielded = skip
        reconnects = 0
        while True:
            response = self.request("GET", url, stream=True)
            seen = 0
            try:
                for line in response.iter_lines(chunk_size=1 << 16):
                    if not line:
                        continue
                    seen += 1
                    if seen <= yielded:
                        continue
                    yielded += 1
                    yield line
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
                response.close()


def _settle_environment(session: requests.Session) -> str | None:
    """Read the environment once instead of on every request (netrc, proxies, CA bundle).

    Without a proxy configured, the per-request lookups only cost time (file checks per
    call); credentials always arrive as headers, never from ``~/.netrc``. Returns the CA
    bundle named by the environment, for HTTPS requests only (``request`` passes it).
    """
    if urllib.request.getproxies():
        return None  # keep requests' per-URL proxy, no_proxy and CA bundle handling
    session.trust_env = False
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")


def _json_of(response: requests.Response, url: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise ApiError(
            f"{url} answered {response.status_code} with a body that is not JSON "
            f"({_short_body(response)!r}): check the base URL points at the API"
        ) from None


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _short_body(response: requests.Response) -> str:
    try:
        return response.text[:200].replace("\n", " ")
    except Exception:  # noqa: BLE001 - only used for messages
        return ""


def _client_error_message(method: str, url: str, status: int, body: str) -> str:
    hint = {
        401: "check the access token",
        403: "check the token's scopes/permissions",
        404: "check the base URL, shop or account id",
    }.get(status, "check the request and the API version")
    return f"{method} {url} answered HTTP {status} ({body[:120]}): {hint}"
