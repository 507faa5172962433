"""Fixtures of the security tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def store(request):
    """The sandbox store of the module's ORDERS and SEED (cached per size and seed)."""
    from sandbox.store import SandboxStore

    with SandboxStore.open(request.module.ORDERS, request.module.SEED) as opened:
        yield opened
