"""Fixtures of the dbt tests: the 2,000-order sandbox they load (cached on disk after the first),
and the project's parsed manifest (one `dbt parse` per run, shared by the xdist workers)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sandbox.store import SandboxStore
from tests.support.dbt_runs import failure_summary, run_dbt_isolated
from tests.support.shared_session import shared_run
from warehouse.settings import DatabaseUrl

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


@pytest.fixture(scope="session")
def parsed_manifest_path(server_url: DatabaseUrl, request) -> Path:
    """manifest.json of `dbt parse` (no vars) against the server's database, parsed once."""

    def parse(target: Path) -> None:
        result = run_dbt_isolated(server_url, ["parse"], target)
        assert result.returncode == 0, failure_summary(result)

    folder = shared_run(request.config).once("dbt parsed manifest", parse)
    return folder / "target" / "manifest.json"


@pytest.fixture(scope="module")
def parsed_manifest(parsed_manifest_path: Path) -> dict:
    """The parsed manifest, read afresh for each module (a module may change its copy)."""
    return json.loads(parsed_manifest_path.read_text(encoding="utf-8"))
