"""The GA4 Data API (v1beta ``properties/{id}:runReport``) through Google's own client library.

The library's REST transport talks to ``api_url`` (Google, or the sandbox's stand-in) with the
credentials it is handed: a service-account key file or an access token named in the settings.
Nothing here reads the environment. Failures are budgeted like every other source (``http``'s
``RetryPolicy``): 5xx and dropped connections retry with backoff within the request's budget;
RESOURCE_EXHAUSTED (HTTP 429) is throttling: waited out without spending that budget, bounded
by the run's throttling bound. Every call's latency feeds the ledger's p50/p95.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from google.analytics.data_v1beta import BetaAnalyticsDataClient
from google.analytics.data_v1beta.types import RunReportRequest, RunReportResponse
from google.api_core import exceptions as google_errors
from google.api_core.client_options import ClientOptions
from google.auth.credentials import Credentials

from extractors.errors import ApiError, ApiUnavailableError, ConfigError
from extractors.http import CallStats, RetryPolicy, wait_throttled
from extractors.settings import Ga4Settings

SCOPE = "https://www.googleapis.com/auth/analytics.readonly"
RETRYABLE = (
    google_errors.InternalServerError,
    google_errors.BadGateway,
    google_errors.ServiceUnavailable,
    google_errors.GatewayTimeout,
    google_errors.DeadlineExceeded,
    google_errors.Unknown,
    google_errors.RetryError,
    ConnectionError,
    TimeoutError,
)
THROTTLE_FIRST_WAIT_S = 5.0  # RESOURCE_EXHAUSTED without a RetryInfo: 5 s, doubling (to 5 min)


def credentials_from(settings: Ga4Settings) -> Credentials:
    """The credentials the settings name: a service-account key file, else an access token."""
    if settings.credentials_file:
        from google.oauth2 import service_account

        try:
            return service_account.Credentials.from_service_account_file(
                settings.credentials_file, scopes=[SCOPE]
            )
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"GA4_CREDENTIALS_FILE {settings.credentials_file} is not a readable "
                f"service-account key ({type(exc).__name__}): download the JSON key of a "
                "service account with Viewer access to the properties"
            ) from None
    from google.oauth2.credentials import Credentials as TokenCredentials

    return TokenCredentials(token=settings.access_token)


class Ga4Client:
    """One property's runReport calls, with retries, throttling waits and latency stats."""

    def __init__(
        self,
        credentials: Credentials,
        api_url: str,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.client = BetaAnalyticsDataClient(
            credentials=credentials,
            transport="rest",
            client_options=ClientOptions(api_endpoint=self.api_url),
        )
        self.policy = policy or RetryPolicy()
        self.stats = CallStats()
        self._sleep = sleep

    def close(self) -> None:
        self.client.transport.close()

    def run_report(self, request: RunReportRequest) -> RunReportResponse:
        """One runReport call; retried on 5xx, waited on RESOURCE_EXHAUSTED."""
        policy = self.policy
        where = f"{self.api_url} runReport of {request.property}"
        started = time.monotonic()
        attempt = 0
        throttled = 0
        while True:
            t0 = time.monotonic()
            try:
                response = self.client.run_report(
                    request=request, timeout=policy.read_timeout_s, retry=None
                )
            except (google_errors.ResourceExhausted, google_errors.TooManyRequests) as exc:
                self.stats.record(time.monotonic() - t0)
                throttled += 1
                wait_throttled(
                    policy,
                    self.stats,
                    self._sleep,
                    _retry_delay(exc, throttled, policy),
                    where,
                    "the property's token quota is spent; rerun after its hour",
                )
                continue
            except (google_errors.Unauthorized, google_errors.Forbidden) as exc:
                raise ConfigError(
                    f"{where} was refused ({exc.code}): give the credentials' account Viewer "
                    "access to the property, or renew GA4_ACCESS_TOKEN"
                ) from None
            except RETRYABLE as exc:
                self.stats.record(time.monotonic() - t0)
                attempt += 1
                spent = time.monotonic() - started
                if attempt >= policy.max_attempts or spent >= policy.budget_s:
                    raise ApiUnavailableError(
                        f"{where} kept failing ({_short(exc)}) after {attempt} attempts in "
                        f"{spent:.0f}s: check the API's status, then rerun (progress is saved)"
                    ) from None
                self.stats.retries += 1
                self._sleep(policy.backoff(attempt))
                continue
            except google_errors.GoogleAPICallError as exc:
                raise ApiError(
                    f"{where} failed: {_short(exc)}: fix the request or the property, then rerun",
                    getattr(exc, "code", None),
                ) from None
            self.stats.record(time.monotonic() - t0)
            return response


def _retry_delay(exc: google_errors.GoogleAPICallError, nth: int, policy: RetryPolicy) -> float:
    """The RetryInfo delay Google attached to the error, else a doubling wait (from 5 s, or the
    policy's ``max_delay_s`` when smaller, up to ten times that)."""
    for detail in getattr(exc, "details", None) or ():
        delay = getattr(detail, "retry_delay", None)
        if delay is not None and (delay.seconds or delay.nanos):
            return delay.seconds + delay.nanos / 1e9
    first = min(THROTTLE_FIRST_WAIT_S, policy.max_delay_s)
    return min(first * 60, first * 2 ** (nth - 1))


def _short(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:300]
