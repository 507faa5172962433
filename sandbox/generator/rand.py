"""Fast integer draws from a ``random.Random`` (one ``random()`` call each).

``Random.randint``/``randrange`` cost several Python calls per draw; these are what the 1M-order
generation spends its time on. Same seed, same stream, same numbers: determinism is unchanged.
"""

from __future__ import annotations

import random


def randint(rng: random.Random, low: int, high: int) -> int:
    """An integer in [low, high]."""
    return low + int(rng.random() * (high - low + 1))


def below(rng: random.Random, start: int, stop: int | None = None) -> int:
    """An integer in [0, start) or, with ``stop``, in [start, stop)."""
    if stop is None:
        return int(rng.random() * start)
    return start + int(rng.random() * (stop - start))
