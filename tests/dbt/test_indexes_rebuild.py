"""Indexes created by post-hooks survive a rebuild of their table (not only the first build)."""

from __future__ import annotations

from tests.support.dbt_runs import run_dbt_isolated
from warehouse.connection import connect

MODELS = ["stg_shopify__orders", "stg_shopify__order_lines"]


def _indexes(url, table: str) -> set[str]:
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            "select indexname from pg_indexes where schemaname = 'staging' and tablename = %s",
            (table,),
        )
        return {row[0] for row in cur.fetchall()}


def test_post_hook_indexes_survive_second_build(fresh_db, tmp_path):
    for attempt in range(2):
        result = run_dbt_isolated(fresh_db, ["run", "--select", *MODELS], tmp_path)
        assert result.returncode == 0, result.stdout[-3000:]
        orders = _indexes(fresh_db, "stg_shopify__orders")
        assert {"stg_shopify__orders_order_idx", "stg_shopify__orders_customer_idx"} <= orders, (
            attempt,
            orders,
        )
        lines = _indexes(fresh_db, "stg_shopify__order_lines")
        assert "stg_shopify__order_lines_order_idx" in lines, (attempt, lines)
