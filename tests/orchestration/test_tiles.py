"""The per-shop tile summary `hotrod run` prints."""

from __future__ import annotations

from orchestration.tiles import summarize
from warehouse.connection import connect


def test_summary_prints_each_tile_per_shop(fresh_db):
    conn = connect(fresh_db, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            """
            create view marts.v_sales_pulse_current as
            select * from (values
                ('hot-rod-an.sandbox.test', 12::int, 1234.5::numeric),
                ('speedway-classics.sandbox.test', 3, 99.0)
            ) as t(shop_domain, orders_today, revenue_today)
            """
        )
        cur.execute(
            """
            create view marts.v_inventory_alerts as
            select * from (values
                ('hot-rod-an.sandbox.test', 'SKU-1', 'critical'),
                ('hot-rod-an.sandbox.test', 'SKU-2', 'warning'),
                ('hot-rod-an.sandbox.test', 'SKU-3', 'critical')
            ) as t(shop_domain, sku, alert_severity)
            """
        )
    lines: list[str] = []
    answered = summarize(fresh_db, out=lines.append)
    text = "\n".join(lines)
    assert answered == 2
    assert "Tile 1 Sales Pulse (v_sales_pulse_current): 2 rows" in text
    assert "orders_today=12" in text and "revenue_today=1,234.50" in text
    assert "3 rows (critical: 2, warning: 1)" in text
    assert "Tile 3 Fulfillment (v_fulfillment_health_summary): not built" in text
    assert text.index("hot-rod-an.sandbox.test") < text.index("speedway-classics.sandbox.test")
