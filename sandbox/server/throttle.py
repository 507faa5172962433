"""Shopify's leaky bucket of query-cost points, one per shop."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class ThrottleStatus:
    maximum_available: float
    currently_available: float
    restore_rate: float

    def as_json(self) -> dict:
        return {
            "maximumAvailable": self.maximum_available,
            "currentlyAvailable": round(self.currently_available),
            "restoreRate": self.restore_rate,
        }


class CostBucket:
    """Points refill at ``restore_rate`` per second up to ``maximum``; a query needs its
    requested cost available, and is charged its actual cost."""

    def __init__(
        self,
        maximum: float = 2000.0,
        restore_rate: float = 100.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.maximum = maximum
        self.restore_rate = restore_rate
        self.clock = clock
        self._available: dict[str, float] = {}
        self._stamp: dict[str, float] = {}
        self._lock = threading.Lock()

    def _refill(self, shop: str) -> float:
        now = self.clock()
        available = self._available.get(shop, self.maximum)
        elapsed = now - self._stamp.get(shop, now)
        available = min(self.maximum, available + elapsed * self.restore_rate)
        self._available[shop] = available
        self._stamp[shop] = now
        return available

    def status(self, shop: str) -> ThrottleStatus:
        with self._lock:
            return ThrottleStatus(self.maximum, self._refill(shop), self.restore_rate)

    def try_acquire(self, shop: str, requested: int) -> bool:
        """Reserve ``requested`` points; False (nothing taken) when not enough are available."""
        with self._lock:
            available = self._refill(shop)
            if requested > available:
                return False
            self._available[shop] = available - requested
            return True

    def settle(self, shop: str, requested: int, actual: int) -> ThrottleStatus:
        """Refund the difference between the reserved and the actual cost."""
        with self._lock:
            available = self._refill(shop)
            self._available[shop] = min(self.maximum, available + max(0, requested - actual))
            return ThrottleStatus(self.maximum, self._available[shop], self.restore_rate)
