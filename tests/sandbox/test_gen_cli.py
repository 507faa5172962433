"""`hotrod sandbox generate` and `hotrod sandbox truth`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hotrod.cli import main
from sandbox.store import SandboxStore


def test_generate_then_truth_prints_the_stores_truth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOTROD_HOME", str(tmp_path))
    args = ["--orders", "1000", "--seed", "3", "--now", "2026-03-01T08:00:00Z"]
    assert main(["sandbox", "generate", *args]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "sandbox") in out
    assert "1,000" in out
    assert main(["sandbox", "truth", *args]) == 0
    printed = json.loads(capsys.readouterr().out)
    store = SandboxStore.open(
        1000, 3, now=datetime(2026, 3, 1, 8, tzinfo=UTC), cache_dir=tmp_path / "sandbox"
    )
    try:
        assert printed == store.truth()
    finally:
        store.close()
    assert printed["as_of"] == "2026-03-01T08:00:00Z"
    assert len(list((tmp_path / "sandbox").glob("*.sqlite"))) == 1  # generated once, reused


def test_bad_now_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTROD_HOME", str(tmp_path))
    with pytest.raises(SystemExit, match="--now must be ISO-8601"):
        main(["sandbox", "truth", "--orders", "1000", "--now", "yesterday"])
