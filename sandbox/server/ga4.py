"""The GA4 Data API's ``POST /v1beta/properties/{id}:runReport``, as Google publishes it.

The request body is the JSON form of ``RunReportRequest`` (camelCase; int64 ``offset``/``limit``
may come as strings); the answer the JSON form of ``RunReportResponse``: ``dimensionHeaders``,
``metricHeaders`` (with their ``type``), ``rows[].dimensionValues/metricValues`` whose values are
strings, ``rowCount`` (every row of the report, not the page), ``metadata`` (``currencyCode``,
``timeZone``, ``subjectToThresholding`` when set), ``propertyQuota`` when asked, and ``kind``.
Fields at their default value are left out, as proto3 JSON does. Errors are Google's JSON error
(``{"error": {"code", "message", "status"}}``). Dates are resolved in the property's time zone
(``today``, ``yesterday``, ``NdaysAgo``, ``YYYY-MM-DD``). Only the dimensions and metrics of
``ga4_traffic`` exist here; any other name is refused as Google refuses an unknown one.

Quota (per property, like GA4 standard properties): each report spends ``TOKENS_PER_REQUEST``
tokens of 200,000 a day and 40,000 an hour (the hourly budget restarts with the wall-clock
hour); when a budget is spent the answer is 429 RESOURCE_EXHAUSTED.
"""

from __future__ import annotations

import re
import threading
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sandbox.server.data import DataAccess
from sandbox.server.ga4_traffic import ShopTraffic, rows

# each dimension's value from a cell (date, hour, channel, device, landing page)
DIMENSIONS = {
    "date": lambda c: c[0],
    "dateHour": lambda c: c[0] + c[1],
    "sessionDefaultChannelGroup": lambda c: c[2],
    "deviceCategory": lambda c: c[3],
    "landingPage": lambda c: c[4],
}
METRIC_TYPES = {
    "sessions": "TYPE_INTEGER",
    "engagedSessions": "TYPE_INTEGER",
    "totalUsers": "TYPE_INTEGER",
    "newUsers": "TYPE_INTEGER",
    "keyEvents": "TYPE_INTEGER",
    "transactions": "TYPE_INTEGER",
    "purchaseRevenue": "TYPE_CURRENCY",
}
DEFAULT_LIMIT = 10_000
MAX_LIMIT = 250_000
TOKENS_PER_REQUEST = 10
TOKENS_PER_DAY = 200_000
TOKENS_PER_HOUR = 40_000
TOKENS_PER_PROJECT_PER_HOUR = 14_000
ROUTE = re.compile(r"^/v1beta/properties/(?P<property>[^/:]+):runReport$")
SCHEMA_URL = "https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema"


def error(code: int, status: str, message: str) -> tuple[int, dict]:
    return code, {"error": {"code": code, "message": message, "status": status}}


def unauthenticated() -> tuple[int, dict]:
    return error(
        401,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
    )


def resource_exhausted(which: str = "property tokens per hour") -> tuple[int, dict]:
    return error(
        429,
        "RESOURCE_EXHAUSTED",
        f"Exhausted {which}. Wait until the quota refreshes or reduce the tokens spent per "
        "request.",
    )


def unavailable(code: int) -> tuple[int, dict]:
    status = {500: "INTERNAL", 502: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}.get(code)
    return error(code, status or "UNAVAILABLE", "The service is currently unavailable.")


class Ga4Api:
    def __init__(self, data: DataAccess, thresholded: bool = False) -> None:
        self.data = data
        self.thresholded = thresholded
        self._lock = threading.Lock()
        self._day_tokens: dict[str, int] = defaultdict(int)
        self._hour_tokens: dict[tuple[str, int], int] = defaultdict(int)

    def property_shop(self, property_id: str) -> dict | None:
        return next(
            (s for s in self.data.shops() if str(s.get("ga4_property_id")) == property_id), None
        )

    def traffic(self, shop: dict) -> ShopTraffic:
        return self.data.cached(("ga4", shop["domain"]), lambda: ShopTraffic(self.data, shop))

    def run_report(self, property_id: str, body: Any) -> tuple[int, dict]:
        shop = self.property_shop(property_id)
        if shop is None:
            return error(
                403,
                "PERMISSION_DENIED",
                "User does not have sufficient permissions for this property. To learn more "
                "about Property ID, see https://developers.google.com/analytics/devguides/"
                "reporting/data/v1/property-id.",
            )
        if not isinstance(body, dict):
            return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        try:
            query = _Query.parse(body)
        except ValueError as exc:
            return error(400, "INVALID_ARGUMENT", str(exc))
        quota = self._spend(property_id)
        if quota is None:
            return resource_exhausted()
        traffic = self.traffic(shop)
        start, end = (_resolve(text, traffic.today) for text in query.date_range)
        if start > end:
            return error(400, "INVALID_ARGUMENT", "The dateRange's startDate is after endDate.")
        # the next pages of the same report come from the same table (built once per version)
        key = ("ga4-report", shop["domain"], start, end, query.shape())
        table = self.data.cached(key, lambda: _aggregate(rows(traffic, start, end), query))
        page = table[query.offset : query.offset + query.limit]
        answer: dict[str, Any] = {
            "dimensionHeaders": [{"name": name} for name in query.dimensions],
            "metricHeaders": [{"name": m, "type": METRIC_TYPES[m]} for m in query.metrics],
        }
        if page:
            answer["rows"] = [
                {
                    "dimensionValues": [{"value": v} for v in dims],
                    "metricValues": [{"value": v} for v in mets],
                }
                for dims, mets in page
            ]
        if table:
            answer["rowCount"] = len(table)
        metadata: dict[str, Any] = {"currencyCode": shop["currency"], "timeZone": shop["timezone"]}
        if self.thresholded:
            metadata["subjectToThresholding"] = True
        answer["metadata"] = metadata
        if query.return_quota:
            answer["propertyQuota"] = quota
        answer["kind"] = "analyticsData#runReport"
        return 200, answer

    def _spend(self, property_id: str) -> dict | None:
        """Spend a report's tokens; the propertyQuota after it, or None when exhausted."""
        hour = int(time.time() // 3600)
        with self._lock:
            day_used = self._day_tokens[property_id]
            hour_used = self._hour_tokens[(property_id, hour)]
            if day_used + TOKENS_PER_REQUEST > TOKENS_PER_DAY:
                return None
            if hour_used + TOKENS_PER_REQUEST > TOKENS_PER_HOUR:
                return None
            self._day_tokens[property_id] = day_used = day_used + TOKENS_PER_REQUEST
            self._hour_tokens[(property_id, hour)] = hour_used = hour_used + TOKENS_PER_REQUEST
        project = min(TOKENS_PER_PROJECT_PER_HOUR, hour_used)
        return {
            "tokensPerDay": {
                "consumed": TOKENS_PER_REQUEST,
                "remaining": TOKENS_PER_DAY - day_used,
            },
            "tokensPerHour": {
                "consumed": TOKENS_PER_REQUEST,
                "remaining": TOKENS_PER_HOUR - hour_used,
            },
            "concurrentRequests": {"remaining": 10},
            "serverErrorsPerProjectPerHour": {"remaining": 10},
            "potentiallyThresholdedRequestsPerHour": {"remaining": 120},
            "tokensPerProjectPerHour": {
                "consumed": TOKENS_PER_REQUEST,
                "remaining": TOKENS_PER_PROJECT_PER_HOUR - project,
            },
        }


class _Query:
    def __init__(self) -> None:
        self.dimensions: list[str] = []
        self.metrics: list[str] = []
        self.date_range: tuple[str, str] = ("", "")
        self.offset = 0
        self.limit = DEFAULT_LIMIT
        self.order_bys: list[dict] = []
        self.return_quota = False

    def shape(self) -> tuple:
        """What the report's table depends on (not the page)."""
        orders = tuple(repr(sorted(o.items())) for o in self.order_bys)
        return (tuple(self.dimensions), tuple(self.metrics), orders)

    @classmethod
    def parse(cls, body: dict) -> _Query:
        q = cls()
        q.dimensions = [_name(d) for d in body.get("dimensions") or []]
        q.metrics = [_name(m) for m in body.get("metrics") or []]
        for name in q.dimensions:
            if name not in DIMENSIONS:
                raise ValueError(
                    f"Field {name} is not a valid dimension. For a list of valid "
                    f"dimensions and metrics, see {SCHEMA_URL}"
                )
        for name in q.metrics:
            if name not in METRIC_TYPES:
                raise ValueError(
                    f"Field {name} is not a valid metric. For a list of valid "
                    f"dimensions and metrics, see {SCHEMA_URL}"
                )
        if not q.metrics and not q.dimensions:
            raise ValueError("At least one dimension or metric is required.")
        ranges = body.get("dateRanges") or []
        if len(ranges) != 1 or not isinstance(ranges[0], dict):
            raise ValueError("Exactly one dateRange is supported by this stand-in.")
        q.date_range = (str(ranges[0].get("startDate", "")), str(ranges[0].get("endDate", "")))
        q.offset = _int(body.get("offset", 0), "offset")
        q.limit = _int(body.get("limit", 0), "limit") or DEFAULT_LIMIT
        if q.offset < 0 or q.limit < 0:
            raise ValueError("offset and limit must be non-negative.")
        q.limit = min(q.limit, MAX_LIMIT)
        q.order_bys = [o for o in body.get("orderBys") or [] if isinstance(o, dict)]
        for order in q.order_bys:
            name = (order.get("dimension") or {}).get("dimensionName") or (
                order.get("metric") or {}
            ).get("metricName")
            if name not in q.dimensions and name not in q.metrics:
                raise ValueError(
                    f"Field {name} in orderBys is not in the request's dimensions or metrics."
                )
        q.return_quota = bool(body.get("returnPropertyQuota"))
        return q


def _name(item: Any) -> str:
    if not isinstance(item, dict) or not item.get("name"):
        raise ValueError("Every dimension and metric needs a name.")
    return str(item["name"])


def _int(value: Any, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid value at '{field}' (TYPE_INT64), \"{value}\"") from None


def _resolve(text: str, today: date) -> date:
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    if m := re.fullmatch(r"(\d+)daysAgo", text):
        return today - timedelta(days=int(m[1]))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"Invalid date {text!r}: use YYYY-MM-DD, NdaysAgo, yesterday or today"
        ) from None


def _aggregate(cells: list, query: _Query) -> list[tuple[list[str], list[str]]]:
    """Cells summed over the dimensions not asked for, ordered as the request says."""
    values_of = [DIMENSIONS[name] for name in query.dimensions]
    sums: dict[tuple[str, ...], list[Decimal]] = {}
    for cell, values in cells:
        key = tuple(value_of(cell) for value_of in values_of)
        acc = sums.setdefault(key, [Decimal(0)] * len(query.metrics))
        for i, name in enumerate(query.metrics):
            acc[i] += Decimal(values[name])
    table = [(list(key), [_text(v) for v in acc]) for key, acc in sums.items() if any(acc)]
    table.sort(key=lambda r: r[0])
    for order in reversed(query.order_bys):
        desc = bool(order.get("desc"))
        if "dimension" in order:
            i = query.dimensions.index(order["dimension"]["dimensionName"])
            table.sort(key=lambda r, i=i: r[0][i], reverse=desc)
        else:
            i = query.metrics.index(order["metric"]["metricName"])
            table.sort(key=lambda r, i=i: Decimal(r[1][i]), reverse=desc)
    return table


def _text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text
