"""Fast integer draws from a ``random.Random`` (one ``random()`` call each).

``Random.randint``/``randrange`` cost several Python calls per draw; these are what the 1M-order
generation spends its time on. Same seed, same stream, same numbers: determinism is unchanged.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import TypeVar

T = TypeVar("T")


def randint(rng: random.Random, low: int, high: int) -> int:
    """An integer in [low, high]."""
    return low + int(rng.random() * (high - low + 1))


def below(rng: random.Random, start: int, stop: int | None = None) -> int:
    """An integer in [0, start) or, with ``stop``, in [start, stop)."""
    if stop is None:
        return int(rng.random() * start)
    return start + int(rng.random() * (stop - start))


class Weighted:
    """A fixed weighted choice, drawn with one ``random()`` call and a bisection."""

    __slots__ = ("items", "cumulative", "total")

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = tuple(items)
        self.cumulative = list(accumulate(weights))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect_right(self.cumulative, rng.random() * self.total)]


def weighted(rng: random.Random, items: Sequence[T], weights: Sequence[float]) -> T:
    """One weighted draw for weights that change between draws."""
    x = rng.random() * sum(weights)
    acc = 0.0
    for item, weight in zip(items, weights, strict=True):
        acc += weight
        if x < acc:
            return item
    return items[-1]
