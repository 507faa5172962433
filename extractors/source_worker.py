"""Work run in processes of their own (``concurrent.futures.ProcessPoolExecutor``), so that each
source's JSON parsing runs on its own core instead of sharing one interpreter lock.

A leaf module: it knows nothing of extraction. Workers are spawned fresh (no threads or
connections inherited from the parent), log at the parent's level to the inherited stderr, and
every item's outcome comes back: its result, or one line naming the item and what went wrong
(an exception the work raised, or a worker that died). A worker whose parent is gone (the run
killed, e.g. SIGKILL) exits within a second: a pool's workers hold both ends of their task pipe,
so they would otherwise wait for work forever.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")
ORPHAN_CHECK_S = 1.0  # how often a worker looks whether its parent is still there
ORPHAN_EXIT = 70  # a worker's exit status when its parent is gone


def _worker_init(level: int, parent: int) -> None:
    logging.basicConfig(level=level)
    threading.Thread(
        target=_exit_when_orphaned, args=(parent,), name="orphan-watch", daemon=True
    ).start()


def _exit_when_orphaned(parent: int) -> None:
    """Ends this worker as soon as ``parent`` is no longer its parent (it died)."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_S)
    os._exit(ORPHAN_EXIT)


def each_in_process(
    work: Callable[[T], R], items: Sequence[T], name: Callable[[T], str] = str
) -> list[tuple[R | None, str | None]]:
    """``work(item)`` for every item, each in its own process, all at once; in item order,
    ``(result, None)`` or ``(None, failure message)``. ``work`` must be picklable."""
    if not items:
        return []
    level = logging.getLogger().getEffectiveLevel()
    outcomes: list[tuple[R | None, str | None]] = []
    with ProcessPoolExecutor(
        max_workers=len(items),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_init,
        initargs=(level, os.getpid()),
    ) as pool:
        futures = [pool.submit(work, item) for item in items]
        for item, future in zip(items, futures, strict=True):
            try:
                outcomes.append((future.result(), None))
            except BrokenProcessPool:
                outcomes.append((None, f"{name(item)}: its worker process died"))
            except Exception as exc:  # noqa: BLE001 - reported as the item's failure
                log.debug("%s failed in its worker", name(item), exc_info=exc)
                outcomes.append((None, f"{name(item)}: unexpected {type(exc).__name__}: {exc}"))
    return outcomes
