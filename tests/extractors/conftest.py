"""Fixtures for extractor tests: a small sandbox business served on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from extractors.http import RetryPolicy
from tests.extractors.sandbox_helpers import SEED

SMALL_ORDERS = 3000
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)  # fixed sandbox clock: the cached store is reused
FAST_RETRIES = RetryPolicy(max_attempts=12, base_delay_s=0.02, max_delay_s=0.2, budget_s=60)


@pytest.fixture(scope="module")
def sandbox_store() -> Iterator:
    """A read-only ~3,000-order store (cached on disk; do not advance it)."""
    store_mod = pytest.importorskip("sandbox.store")
    store = store_mod.SandboxStore.open(orders=SMALL_ORDERS, seed=SEED, now=NOW)
    yield store
    store.close()


@pytest.fixture
def own_store() -> Iterator:
    """A store of this test's own (safe to advance)."""
    store_mod = pytest.importorskip("sandbox.store")
    store = store_mod.SandboxStore.open(orders=SMALL_ORDERS, seed=SEED, now=NOW)
    yield store
    store.close()


def serve(store, faults=None):
    server_mod = pytest.importorskip("sandbox.server")
    return server_mod.start_server(store, port=0, faults=faults)
