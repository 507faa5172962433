"""Work run in processes of their own (``concurrent.futures.ProcessPoolExecutor``), so that each
source's JSON parsing runs on its own core instead of sharing one interpreter lock.

A leaf module: it knows nothing of extraction. Workers are spawned fresh (no threads or
connections inherited from the parent), log at the parent's level to the inherited stderr, and
every item's outcome comes back: its result, or one line naming the item and what went wrong
(an exception the work raised, or a worker that died).
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


def _worker_logging(level: int) -> None:
    logging.basicConfig(level=level)


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
        initializer=_worker_logging,
        initargs=(level,),
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
