"""Fault injection, deterministic for a given seed and request sequence.

Every data request (Shopify GraphQL, bulk download, Chatwoot, app API, GA4; not ``/_sandbox``)
gets a sequence number n = 1, 2, ... and the injector decides, in this order:

* ``drop_at`` k: request k is answered by closing the socket without a response (once, or every
  k-th request with ``drop_every``);
* ``error_every`` N / ``error_rate`` p: a 5xx (``error_status``) for every N-th request, or with
  probability p from a seeded generator;
* ``throttle_every`` M / ``throttle_burst`` K: the last K requests of every M are throttled:
  GraphQL answers ``THROTTLED`` (HTTP 200, ``currentlyAvailable`` 0, as Shopify does), REST answers
  HTTP 429 with ``Retry-After``;
* ``delay_ms``: every data request waits that long first.

For GA4 (``runReport``) the error is Google's JSON error (``UNAVAILABLE``) and throttling is HTTP
429 ``RESOURCE_EXHAUSTED`` without ``Retry-After``; ``ga4_thresholded`` marks every answer
``subjectToThresholding``.

``malformed_rate`` p corrupts a deterministic share of records (by hash of seed and record id):
in JSON pages a node gets ``"id": null`` or an unparseable money amount, in bulk JSONL a line is
cut in half (invalid JSON) or loses its ``id``.

``bulk_fail_after`` N makes the first bulk operation FAIL after N root objects, its lines so far
at ``partialDataUrl``.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

DEFAULT_SCOPES = (
    "read_all_orders",
    "read_customers",
    "read_fulfillments",
    "read_inventory",
    "read_locations",
    "read_orders",
    "read_products",
)


@dataclass
class FaultConfig:
    seed: int = 0
    delay_ms: int = 0
    error_every: int = 0
    error_rate: float = 0.0
    error_status: int = 503
    drop_at: int = 0
    drop_every: bool = False
    throttle_every: int = 0
    throttle_burst: int = 0
    retry_after: float = 1.0
    malformed_rate: float = 0.0
    # the first bulk operation FAILs after this many root objects (partial data served)
    bulk_fail_after: int = 0
    # GA4 answers say subjectToThresholding (Google signals on, few users), not a failure
    ga4_thresholded: bool = False
    # Shopify cost limits (not faults, but configured together)
    bucket_size: float = 2000.0
    restore_rate: float = 100.0
    max_query_cost: int = 1000
    # bulk result URLs (url, partialDataUrl) expire this long after the operation ends
    bulk_result_ttl_s: float = 7 * 24 * 3600.0
    # the scopes the Shopify app was granted (currentAppInstallation); without read_all_orders
    # only the last 60 days of orders are visible, as on Shopify
    access_scopes: tuple[str, ...] = DEFAULT_SCOPES

    def as_json(self) -> dict:
        return asdict(self)


class FaultInjector:
    def __init__(
        self, config: FaultConfig | None = None, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.config = config or FaultConfig()
        self.sleep = sleep
        self._n = 0
        self._lock = threading.Lock()

    def next_request(self) -> tuple[int, str | None]:
        """Number the request and decide its fault: None, "drop", "error" or "throttle"."""
        cfg = self.config
        with self._lock:
            self._n += 1
            n = self._n
        if cfg.delay_ms:
            self.sleep(cfg.delay_ms / 1000)
        if cfg.drop_at and (n == cfg.drop_at or (cfg.drop_every and n % cfg.drop_at == 0)):
            return n, "drop"
        if cfg.error_every and n % cfg.error_every == 0:
            return n, "error"
        if cfg.error_rate and random.Random(cfg.seed * 1_000_003 + n).random() < cfg.error_rate:
            return n, "error"
        if (
            cfg.throttle_every
            and cfg.throttle_burst
            and (n - 1) % cfg.throttle_every >= cfg.throttle_every - cfg.throttle_burst
        ):
            return n, "throttle"
        return n, None

    def _draw(self, record_id: Any) -> float:
        digest = hashlib.sha256(f"{self.config.seed}:{record_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def is_malformed(self, record_id: Any) -> bool:
        rate = self.config.malformed_rate
        return bool(rate) and self._draw(record_id) < rate

    def corrupt_node(self, node: dict) -> dict:
        """A JSON node made invalid: no id, or a money amount that is not a number."""
        bad = dict(node)
        money_keys = [k for k, v in bad.items() if isinstance(v, dict) and "shopMoney" in v]
        if money_keys and self._draw(f"kind:{node.get('id')}") < 0.5:
            key = money_keys[0]
            bad[key] = {"shopMoney": {**bad[key]["shopMoney"], "amount": "12,34.x"}}
        else:
            bad["id"] = None
        return bad

    def corrupt_line(self, line: str, record_id: Any) -> str:
        """A JSONL line made invalid: cut in half, or re-encoded without its id."""
        if self._draw(f"kind:{record_id}") < 0.5:
            return line[: max(1, len(line) // 2)]
        return line.replace(f'"id":"{record_id}"', '"id":null', 1)
