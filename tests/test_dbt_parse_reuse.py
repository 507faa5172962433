"""The test suite's dbt runs reuse one parse across databases and `--vars`
(tests/support/dbt_parse_reuse.py), and what they build lands in their own database."""

from __future__ import annotations

from tests.support import dbt_parse_reuse
from tests.support.dbt_runs import failure_summary, run_dbt_isolated
from warehouse.connection import connect

MODEL = "stg_app__decision_log"


def _view_exists(url, name: str) -> bool:
    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass(%s) is not null", (f"staging.{name}",))
        return cur.fetchone()[0]


def test_a_second_database_and_other_vars_reuse_the_first_parse(
    fresh_db, module_db, tmp_path, monkeypatch
):
    monkeypatch.setattr(dbt_parse_reuse, "_seed", None)
    first = run_dbt_isolated(fresh_db, ["run", "-s", MODEL], tmp_path / "a")
    assert first.returncode == 0, failure_summary(first)
    assert "Starting full parse" in first.stdout  # a new target folder: dbt parses in full
    assert dbt_parse_reuse._seed is not None

    second = run_dbt_isolated(
        module_db, ["run", "-s", MODEL], tmp_path / "b", as_of="2026-06-01T00:00:00Z"
    )
    assert second.returncode == 0, failure_summary(second)
    assert "Unable to do partial parsing" not in second.stdout, second.stdout[:2000]
    # the view was made where the second run points, not in the database of the first parse
    assert _view_exists(module_db, MODEL)
