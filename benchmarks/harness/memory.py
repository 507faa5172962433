"""Peak memory per stage: RSS of this process and every descendant, sampled from /proc.

A background thread samples every ``interval`` seconds; ``stage(name)`` opens a window whose peak
is kept. Postgres backends are not our children: their proportional set size (Pss, so shared
buffers are not counted once per backend) is summed for the benchmark database's backends when
/proc lets us read them (the embedded server runs as our user; an external one usually does not).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            kids.extend(int(x) for x in text)
    except OSError:
        pass
    return kids


def _rss_kib(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
        return int(fields[1]) * PAGE_KIB
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss_mb(root: int | None = None) -> float:
    """RSS of ``root`` (default: this process) plus all its descendants, in MB."""
    seen: set[int] = set()
    stack = [root or os.getpid()]
    total = 0
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _rss_kib(pid)
        stack.extend(_children(pid))
    return total / 1024


def pss_mb(pids: list[int]) -> float | None:
    """Summed Pss of ``pids`` in MB, or None when /proc does not let us read them."""
    total = 0
    readable = False
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    readable = True
                    break
        except (OSError, ValueError):
            continue
    return total / 1024 if readable else None


class PeakSampler:
    """Samples memory in the background; ``peaks[stage]`` holds each stage's maxima."""

    def __init__(
        self, backend_pids: Callable[[], list[int]] | None = None, interval: float = 0.2
    ) -> None:
        self.interval = interval
        self.backend_pids = backend_pids
        self.peaks: dict[str, dict[str, float | None]] = {}
        self._open: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-memory", daemon=True)
        self._backend_every = max(1, int(1.0 / interval))  # backends: about once a second

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        tick = 0
        while not self._stop.wait(self.interval):
            self.sample(backends=tick % self._backend_every == 0)
            tick += 1

    def sample(self, backends: bool = True) -> None:
        rss = tree_rss_mb()
        pg: float | None = None
        if backends and self.backend_pids is not None:
            try:
                pg = pss_mb(self.backend_pids())
            except Exception:  # noqa: BLE001 - a failed sample must never stop the benchmark
                pg = None
        with self._lock:
            for name in self._open:
                peak = self.peaks[name]
                peak["peak_rss_mb"] = max(peak["peak_rss_mb"] or 0.0, rss)
                if pg is not None:
                    peak["postgres_backends_pss_mb"] = max(
                        peak["postgres_backends_pss_mb"] or 0.0, pg
                    )

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[dict[str, float | None]]:
        with self._lock:
            self.peaks[name] = {"peak_rss_mb": None, "postgres_backends_pss_mb": None}
            self._open.append(name)
        self.sample()
        try:
            yield self.peaks[name]
        finally:
            self.sample()
            with self._lock:
                self._open.remove(name)
            for key, value in self.peaks[name].items():
                if value is not None:
                    self.peaks[name][key] = round(value, 1)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of ``pid`` so far (None when /proc does not show it)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class BackendCpu:
    """CPU seconds the PostgreSQL backends of one database spend while the block runs, sampled
    every ``interval`` s from /proc (an external server's backends are not readable: None).
    A backend that exits between two samples loses at most its last ``interval``."""

    def __init__(self, pids: Callable[[], list[int]], interval: float = 0.2) -> None:
        self._pids = pids
        self._interval = interval
        self._last: dict[int, float] = {}
        self._readable = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-backend-cpu", daemon=True)

    def __enter__(self) -> BackendCpu:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    def _sample(self) -> None:
        try:
            pids = self._pids()
        except Exception:  # noqa: BLE001 - a failed look is a missed sample, not a failed run
            return
        for pid in pids:
            seconds = cpu_seconds(pid)
            if seconds is not None:
                self._readable = True
                self._last[pid] = seconds

    @property
    def seconds(self) -> float | None:
        return round(sum(self._last.values()), 2) if self._readable else None


def peak_rss_mb(pid: int) -> float | None:
    """The peak RSS (VmHWM) of ``pid`` in MB, None when /proc does not show it."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None
