"""Shopify Admin GraphQL client: cost-based throttling, GraphQL errors, bulk operations."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from extractors.errors import ApiError, QueryCostError
from extractors.http import HttpClient
from extractors.shopify import queries

TERMINAL_BULK = {"COMPLETED", "FAILED", "CANCELED", "EXPIRED"}
MAX_THROTTLE_WAIT_S = 60.0


class ShopifyClient:
    """GraphQL for one shop. The access token arrives as a header in ``http``."""

    def __init__(self, http: HttpClient, graphql_url: str, poll_max_s: float = 1.0) -> None:
        self.http = http
        self.url = graphql_url
        self.poll_max_s = poll_max_s
        self._next_wait = 0.0

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
        """Start a bulk query; waits for another running bulk operation to finish first."""
        for _ in range(3):
            data = self.query(queries.BULK_RUN_MUTATION, {"query": inner_query})
            result = data.get("bulkOperationRunQuery") or {}
            errors = result.get("userErrors") or []
            op = result.get("bulkOperation")
            if op and not errors:
                return str(op["id"])
            text = "; ".join(str(e.get("message")) for e in errors) or "no bulk operation"
            if "already" in text.lower() or "in progress" in text.lower():
                current = (self.query(queries.CURRENT_BULK_QUERY) or {}).get("currentBulkOperation")
                if current and current.get("status") not in TERMINAL_BULK:
                    self.wait_bulk(str(current["id"]))
                continue
            raise ApiError(f"bulkOperationRunQuery refused by {self.url}: {text}")
        raise ApiError(f"could not start a bulk operation on {self.url}: one is still running")

    def bulk_status(self, op_id: str) -> dict[str, Any]:
        node = self.query(queries.BULK_STATUS_QUERY, {"id": op_id}).get("node")
        if not node:
            return {"id": op_id, "status": "EXPIRED"}
        return node

    def wait_bulk(self, op_id: str) -> dict[str, Any]:
        """Poll node(id) until the operation is COMPLETED/FAILED/CANCELED/EXPIRED."""
        delay = 0.2
        while True:
            node = self.bulk_status(op_id)
            if node.get("status") in TERMINAL_BULK:
                return node
            time.sleep(delay)
            delay = min(self.poll_max_s, delay * 1.5)

    def bulk_lines(self, url: str, skip: int = 0) -> Iterator[bytes]:
        return self.http.stream_lines(url, skip=skip)


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
