"""HOTROD_AS_OF pins the models' as-of time without costing dbt its partial parse (issue 17).

The benchmark pins its clock to the sandbox's for the full build and, a day later, the daily
build. With the `as_of` var that second build re-parsed the whole project (~6 s at 1M orders)
because a var changed, which no scheduled run pays; the environment variable is read only when
dbt executes, so it never enters the parse state.
"""

from __future__ import annotations

from pathlib import Path

import msgpack
import pytest

from tests.support.dbt_runs import failure_summary, run_dbt_isolated
from warehouse.settings import DatabaseUrl

MODEL = "int_orders_data_issues"  # measures future creation times against hotrod_as_of()


def _compiled(target: Path) -> str:
    return next((target / "target" / "compiled").rglob(f"{MODEL}.sql")).read_text()


def _parse_state_env_vars(target: Path) -> dict:
    """The environment variables dbt recorded while parsing (a change to one re-parses what read
    it); dbt's own state file."""
    state = msgpack.unpackb(
        (target / "target" / "partial_parse.msgpack").read_bytes(), strict_map_key=False
    )
    return state.get("env_vars") or {}


def _compile(url: DatabaseUrl, target: Path, as_of_var: str | None = None):
    result = run_dbt_isolated(url, ["compile", "--select", MODEL], target, as_of=as_of_var)
    assert result.returncode == 0, failure_summary(result)
    return result


def test_the_environment_pins_the_clock_and_keeps_the_parse(
    fresh_db: DatabaseUrl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTROD_AS_OF", "2026-06-01T12:00:00Z")
    _compile(fresh_db, tmp_path)
    assert "'2026-06-01T12:00:00Z'::timestamptz" in _compiled(tmp_path)

    assert "HOTROD_AS_OF" not in _parse_state_env_vars(tmp_path), "read while parsing"
    monkeypatch.setenv("HOTROD_AS_OF", "2026-06-02T12:00:00Z")
    _compile(fresh_db, tmp_path)
    assert "'2026-06-02T12:00:00Z'::timestamptz" in _compiled(tmp_path)

    # the var, when given, wins
    _compile(fresh_db, tmp_path, as_of_var="2026-06-03T12:00:00Z")
    assert "'2026-06-03T12:00:00Z'::timestamptz" in _compiled(tmp_path)

    monkeypatch.delenv("HOTROD_AS_OF")
    _compile(fresh_db, tmp_path)
    assert "now()" in _compiled(tmp_path)


def test_a_bad_value_stops_the_run_with_one_line(
    fresh_db: DatabaseUrl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTROD_AS_OF", "yesterday")
    result = run_dbt_isolated(fresh_db, ["compile", "--select", MODEL], tmp_path)
    assert result.returncode != 0
    assert "HOTROD_AS_OF=yesterday is not an ISO timestamp" in result.stdout
