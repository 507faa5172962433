"""Progress lines on stderr for long runs: records, rate, per entity (~1 line / 2 s)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(
        self, label: str, enabled: bool = True, stream: TextIO | None = None, every_s: float = 2.0
    ) -> None:
        self.label = label
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.every_s = every_s
        self.started = time.monotonic()
        self._last = self.started
        self.records = 0

    def add(self, count: int) -> None:
        self.records += count
        now = time.monotonic()
        if self.enabled and now - self._last >= self.every_s:
            self._last = now
            self._print("…")

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.records / elapsed if elapsed > 0 else 0.0

    def done(self, status: str = "done") -> None:
        if self.enabled:
            self._print(status)

    def _print(self, status: str) -> None:
        elapsed = time.monotonic() - self.started
        print(
            f"[{self.label}] {self.records:,} records in {elapsed:.1f}s "
            f"({self.rate():,.0f}/s) {status}",
            file=self.stream,
            flush=True,
        )
