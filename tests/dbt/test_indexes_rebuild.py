"""Indexes created by post-hooks survive a rebuild of their table (not only the first build)."""

from __future__ import annotations

from tests.support.dbt_runs import run_dbt_isolated
from warehouse.connection import connect

MODELS = ["+sku_performance", "+inventory_snapshots"]


def _indexes(url, table: str, schema: str = "staging") -> set[str]:
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            "select indexname from pg_indexes where schemaname = %s and tablename = %s",
            (schema, table),
        )
        return {row[0] for row in cur.fetchall()}


def test_post_hook_indexes_survive_second_build(fresh_db, tmp_path):
    seeded = run_dbt_isolated(fresh_db, ["seed"], tmp_path)
    assert seeded.returncode == 0, seeded.stdout[-3000:]
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
        marts = _indexes(fresh_db, "sku_performance", "marts")
        assert {"sku_performance_sku_idx", "sku_performance_trending_idx"} <= marts, marts
        snapshots = _indexes(fresh_db, "inventory_snapshots", "marts")
        assert "inventory_snapshots_alerts_idx" in snapshots, snapshots
