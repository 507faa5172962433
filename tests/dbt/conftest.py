"""Fixtures of the dbt tests: the 2,000-order sandbox they load (cached on disk after the first)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sandbox.store import SandboxStore

# The sandbox clock of the tests that build on `store` (pin dbt's as_of to it).
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def store() -> Iterator[SandboxStore]:
    """The 2,000-order, seed-5 sandbox at NOW (a module may define its own `store` instead)."""
    opened = SandboxStore.open(2_000, 5, now=NOW)
    try:
        yield opened
    finally:
        opened.close()
