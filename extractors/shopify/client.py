"""Shopify Admin GraphQL client: cost-based throttling, GraphQL errors, bulk operations."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from extractors.errors import ApiError, QueryCostError
from extractors.http import HttpClient
from extractors.shopify import queries

TERMINAL_BULK = {"COMPLETED", "FAILED", "CANCELED", "EXPIRED"}
BUSY_CODES = {"LIMIT_REACHED", "OPERATION_IN_PROGRESS"}
MAX_THROTTLE_WAIT_S = 60.0
BULK_MAX_WAIT_S = 6 * 3600.0  # default bound on waiting for one bulk operation


class BulkWaitError(ApiError):
    """A bulk operation did not finish (or could not start) within the bounded wait."""


class ShopifyClient:
    """GraphQL for one shop. The access token arrives as a header in ``http``."""

    def __init__(
        self,
        http: HttpClient,
        graphql_url: str,
        poll_max_s: float = 1.0,
        bulk_max_wait_s: float = BULK_MAX_WAIT_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.url = graphql_url
        self.poll_max_s = poll_max_s
        self.bulk_max_wait_s = bulk_max_wait_s
        self.sleep = sleep
        self._next_wait = 0.0

    @property
    def throttle_wait(self) -> float:
        """Seconds the next query must wait for the cost bucket (0 when it holds enough)."""
        return self._next_wait

    @classmethod
    def headers(cls, access_token: str) -> dict[str, str]:
        return {"X-Shopify-Access-Token": access_token, "Content-Type": "application/json"}

    def query(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run a document and return ``data``; waits out THROTTLED, raises ApiError on errors.

        Throttled waits are jittered and bounded by the run's throttling bound (``http``), never
        by a count of attempts."""
        while True:
            if self._next_wait > 0:
                self.http.wait(self._next_wait, throttled=True, url=self.url)
                self._next_wait = 0.0
            body = self.http.post_json(self.url, {"query": document, "variables": variables or {}})
            if not isinstance(body, dict):
                raise ApiError(f"{self.url} answered a non-object GraphQL body")
            cost = (body.get("extensions") or {}).get("cost") or {}
            errors = body.get("errors") or []
            if any(_is_throttled(e) for e in errors):
                self.http.wait(_throttle_wait(cost, fallback=1.0), throttled=True, url=self.url)
                continue
            if any(_is_cost_exceeded(e) for e in errors):
                raise QueryCostError(f"query cost over the limit at {self.url}")
            if errors:
                messages = "; ".join(str(e.get("message", e)) for e in errors[:3])
                raise ApiError(f"GraphQL errors from {self.url}: {messages}")
            self._next_wait = _throttle_wait(cost, fallback=0.0)
            data = body.get("data")
            if not isinstance(data, dict):
                raise ApiError(f"{self.url} answered without data")
            return data

    # --- bulk operations ---------------------------------------------------------------------

    def start_bulk(self, inner_query: str) -> str:
        """Start a bulk query. When the shop's concurrent bulk operations are all in use
        (``LIMIT_REACHED``, or ``OPERATION_IN_PROGRESS`` before 2026-01), wait and try again,
        within the bounded bulk wait."""
        waited, delay = 0.0, 1.0
        while True:
            data = self.query(queries.BULK_RUN_MUTATION, {"query": inner_query})
            result = data.get("bulkOperationRunQuery") or {}
            errors = result.get("userErrors") or []
            op = result.get("bulkOperation")
            if op and not errors:
                return str(op["id"])
            text = "; ".join(str(e.get("message")) for e in errors) or "no bulk operation"
            busy = any(e.get("code") in BUSY_CODES for e in errors) or "in progress" in text
            if not busy:
                raise ApiError(f"bulkOperationRunQuery refused by {self.url}: {text}")
            if waited + delay > self.bulk_max_wait_s:
                raise BulkWaitError(
                    f"no bulk operation slot free on {self.url} after {self.bulk_max_wait_s:.0f}s "
                    f"({text}): rerun later or raise HOTROD_BULK_MAX_WAIT_S"
                )
            self.sleep(delay)
            waited += delay
            delay = min(30.0, delay * 2)

    def bulk_status(self, op_id: str) -> dict[str, Any]:
        node = self.query(queries.BULK_STATUS_QUERY, {"id": op_id}).get("bulkOperation")
        if not node:
            return {"id": op_id, "status": "EXPIRED"}
        return node

    def wait_bulk(self, op_id: str) -> dict[str, Any]:
        """Poll ``bulkOperation(id:)`` until COMPLETED/FAILED/CANCELED/EXPIRED, at most
        ``bulk_max_wait_s`` of waiting; then BulkWaitError (the operation keeps running and the
        next run resumes it)."""
        waited, delay = 0.0, 0.2
        while True:
            node = self.bulk_status(op_id)
            if node.get("status") in TERMINAL_BULK:
                return node
            if waited + delay > self.bulk_max_wait_s:
                raise BulkWaitError(
                    f"bulk operation {op_id} still {node.get('status')} after "
                    f"{self.bulk_max_wait_s:.0f}s ({node.get('objectCount')} objects so far): "
                    "rerun to resume it, or raise HOTROD_BULK_MAX_WAIT_S"
                )
            self.sleep(delay)
            waited += delay
            delay = min(self.poll_max_s, delay * 1.5)

    def bulk_lines(self, url: str, skip: int = 0) -> Iterator[bytes]:
        return self.http.stream_lines(url, skip=skip)

    def orders_count(self, search: str | None = None) -> int:
        """How many orders ``search`` matches (every order when None), uncapped."""
        found = self.query(queries.ORDERS_COUNT_QUERY, {"query": search}).get("ordersCount")
        return int((found or {}).get("count") or 0)

    def orders_updated_edge(self, newest: bool) -> str | None:
        """The oldest (or newest) order's updatedAt; None when the shop has no order."""
        data = self.query(queries.ORDERS_EDGE_QUERY, {"reverse": newest}).get("orders") or {}
        edges = data.get("edges") or []
        node = (edges[0] or {}).get("node") if edges else None
        return (node or {}).get("updatedAt")

    def access_scopes(self) -> set[str]:
        """The scopes granted to the app on this shop (``currentAppInstallation``)."""
        installation = self.query(queries.ACCESS_SCOPES_QUERY).get("currentAppInstallation") or {}
        return {
            str(scope.get("handle"))
            for scope in installation.get("accessScopes") or []
            if isinstance(scope, dict)
        }


def _is_throttled(error: Any) -> bool:
    if not isinstance(error, dict):
        return False
    code = (error.get("extensions") or {}).get("code")
    return code == "THROTTLED" or str(error.get("message", "")).lower() == "throttled"


def _is_cost_exceeded(error: Any) -> bool:
    if not isinstance(error, dict):
        return False
    code = (error.get("extensions") or {}).get("code")
    return code == "MAX_COST_EXCEEDED" or "max cost limit" in str(error.get("message", ""))


def _throttle_wait(cost: dict[str, Any], fallback: float) -> float:
    """Seconds until the bucket holds the requested cost: (requested - available) / restoreRate."""
    status = cost.get("throttleStatus") or {}
    try:
        requested = float(cost.get("requestedQueryCost") or 0)
        available = float(status.get("currentlyAvailable"))
        restore = float(status.get("restoreRate") or 0)
    except (TypeError, ValueError):
        return fallback
    if restore <= 0:
        return fallback
    if requested <= available:
        return 0.0
    return min(MAX_THROTTLE_WAIT_S, (requested - available) / restore)
