"""A build analyzes the raw landing tables a load has grown (on-run-start
``analyze_landed_sources``): a first load's tables get planner statistics before any model reads
them, whether or not autovacuum has run; an ordinary day's few changes trigger nothing."""

from __future__ import annotations

import time

from tests.support.dbt_runs import failure_summary, run_dbt_isolated
from warehouse.connection import connect

TABLE = "raw_chatwoot.messages"


def _land(url, first: int, count: int) -> None:
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(
                f"insert into {TABLE} (shop_domain, id, updated_at, payload, batch_id)"
                " select 'a.example', i::text, now(), '{}'::jsonb, 'b1'"
                " from generate_series(%s, %s) as i",
                (first, first + count - 1),
            )
    finally:
        conn.close()  # its statistics counters are flushed as the backend exits


def _stats(url) -> tuple[int, object]:
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select n_mod_since_analyze, last_analyze from pg_stat_user_tables"
                " where schemaname || '.' || relname = %s",
                (TABLE,),
            )
            return cur.fetchone()
    finally:
        conn.close()


def _counted(url, at_least: int) -> None:
    deadline = time.monotonic() + 10
    while _stats(url)[0] < at_least and time.monotonic() < deadline:
        time.sleep(0.2)


def _no_autovacuum(url) -> None:
    """Only the build may analyze the table here (the embedded server's autovacuum is on)."""
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(f"alter table {TABLE} set (autovacuum_enabled = false)")
    finally:
        conn.close()


def test_a_grown_raw_table_is_analyzed_before_the_models_and_a_small_change_is_not(
    fresh_db, tmp_path
):
    _no_autovacuum(fresh_db)
    _land(fresh_db, 1, 5_000)
    _counted(fresh_db, 5_000)
    assert _stats(fresh_db)[1] is None  # never analyzed (autovacuum aside)
    run = run_dbt_isolated(fresh_db, ["run", "--select", "stg_app__shops"], tmp_path)
    assert run.returncode == 0, failure_summary(run)
    modified, analyzed = _stats(fresh_db)
    assert analyzed is not None and modified == 0

    _land(fresh_db, 5_001, 100)  # a day's worth: under a tenth of the table
    _counted(fresh_db, 100)
    again = run_dbt_isolated(fresh_db, ["run", "--select", "stg_app__shops"], tmp_path)
    assert again.returncode == 0, failure_summary(again)
    assert _stats(fresh_db) == (100, analyzed)
