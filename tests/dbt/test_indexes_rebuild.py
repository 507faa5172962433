"""Indexes declared in model config exist after the first build and after a rebuild.

Every index of the project is declared in its model's `indexes` config (partial ones with a
`where` key); dbt names them by a hash, so they are found here by definition, not by name.
"""

from __future__ import annotations

from tests.support.dbt_runs import failure_summary, run_dbt_isolated
from warehouse.connection import connect

MODELS = ["+sku_performance", "+inventory_snapshots"]
EXPECTED = {
    ("staging", "stg_shopify__orders"): ["(shop_domain, order_id)", "(shop_domain, customer_id)"],
    ("staging", "stg_shopify__order_lines"): ["(shop_domain, order_id)"],
    ("marts", "sku_performance"): [
        "UNIQUE INDEX",
        "(shop_domain, shopify_product_id)",
        "(shop_domain) WHERE is_trending",
    ],
    ("marts", "inventory_snapshots"): [
        "(shop_domain, snapshot_date DESC, sku)",
        "(shop_domain, shopify_product_id)",
        "(shop_domain, snapshot_date) WHERE (stock_status = ANY",
    ],
}


def _definitions(url, schema: str, table: str) -> str:
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            "select indexdef from pg_indexes where schemaname = %s and tablename = %s",
            (schema, table),
        )
        return "\n".join(row[0] for row in cur.fetchall())


def test_config_indexes_exist_after_first_build_and_rebuild(fresh_db, tmp_path):
    seeded = run_dbt_isolated(fresh_db, ["seed"], tmp_path)
    assert seeded.returncode == 0, failure_summary(seeded)
    for attempt, extra in enumerate(([], ["--full-refresh"])):
        result = run_dbt_isolated(fresh_db, ["run", "--select", *MODELS, *extra], tmp_path)
        assert result.returncode == 0, failure_summary(result)
        for (schema, table), fragments in EXPECTED.items():
            found = _definitions(fresh_db, schema, table)
            missing = [f for f in fragments if f not in found]
            assert not missing, (attempt, table, missing, found)


def test_an_incremental_core_table_from_an_earlier_release_gets_its_key_and_indexes(
    fresh_db, tmp_path
):
    """inventory_snapshots keeps history, so it is never rebuilt: a table built before the
    contract had constraints gains its primary key, NOT NULL keys and missing indexes on the
    next incremental run (post-hook ensure_contract_constraints)."""
    assert run_dbt_isolated(fresh_db, ["seed"], tmp_path).returncode == 0
    first = run_dbt_isolated(fresh_db, ["run", "--select", "+inventory_snapshots"], tmp_path)
    assert first.returncode == 0, failure_summary(first)
    conn = connect(fresh_db, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            "select conname from pg_constraint"
            " where conrelid = 'marts.inventory_snapshots'::regclass and contype = 'p'"
        )
        cur.execute(f"alter table marts.inventory_snapshots drop constraint {cur.fetchone()[0]}")
        cur.execute("alter table marts.inventory_snapshots alter column sku drop not null")
        cur.execute(
            "select indexname from pg_indexes where tablename = 'inventory_snapshots'"
            " and indexdef like '%(shop_domain, shopify_product_id)%'"
        )
        cur.execute(f'drop index marts."{cur.fetchone()[0]}"')
    again = run_dbt_isolated(fresh_db, ["run", "--select", "inventory_snapshots"], tmp_path)
    assert again.returncode == 0, failure_summary(again)
    with conn, conn.cursor() as cur:
        cur.execute(
            "select count(*) from pg_constraint"
            " where conrelid = 'marts.inventory_snapshots'::regclass and contype = 'p'"
        )
        assert cur.fetchone()[0] == 1
        cur.execute(
            "select attnotnull from pg_attribute"
            " where attrelid = 'marts.inventory_snapshots'::regclass and attname = 'sku'"
        )
        assert cur.fetchone()[0] is True
    assert "(shop_domain, shopify_product_id)" in _definitions(
        fresh_db, "marts", "inventory_snapshots"
    )
