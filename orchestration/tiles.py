"""The five dashboard tiles as a readable per-shop summary (what `hotrod run` prints)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from psycopg2 import sql

from warehouse.connection import connection
from warehouse.settings import DatabaseUrl, marts_schema

TILES = (
    ("Tile 1 Sales Pulse", "v_sales_pulse_current"),
    ("Tile 2 Inventory", "v_inventory_alerts"),
    ("Tile 3 Fulfillment", "v_fulfillment_health_summary"),
    ("Tile 4 CX", "v_cx_health_summary"),
    ("Tile 5 Ops", "v_ops_aggregate_metrics"),
)
_SKIP = {"shop_domain"}


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal | float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list | dict):
        text = json.dumps(value, default=str)
        return text if len(text) <= 90 else text[:87] + "..."
    return str(value)


def _group_column(columns: list[str]) -> str | None:
    for name in columns:
        if "severity" in name or name.endswith("status") or name.endswith("_type"):
            return name
    return None


def _shop_lines(columns: list[str], rows: list[tuple]) -> list[str]:
    if len(rows) == 1:
        pairs = [f"{c}={_fmt(v)}" for c, v in zip(columns, rows[0], strict=True) if c not in _SKIP]
        return ["    " + "  ".join(pairs[i : i + 4]) for i in range(0, len(pairs), 4)]
    by = _group_column(columns)
    line = f"    {len(rows):,} rows"
    if by:
        counts = Counter(str(row[columns.index(by)]) for row in rows)
        line += " (" + ", ".join(f"{k}: {n}" for k, n in sorted(counts.items())) + ")"
    return [line]


def summarize(
    url: DatabaseUrl, schema: str | None = None, out: Callable[[str], None] = print
) -> int:
    """Print each tile per shop (mart schema: HOTROD_DBT_SCHEMA); returns how many answered."""
    schema = schema or marts_schema()
    answered = 0
    with connection(url, autocommit=True) as conn, conn.cursor() as cur:
        for title, view in TILES:
            cur.execute("select to_regclass(%s)", (f"{schema}.{view}",))
            if cur.fetchone()[0] is None:
                out(f"{title} ({view}): not built")
                continue
            cur.execute(
                sql.SQL("select * from {}.{}").format(sql.Identifier(schema), sql.Identifier(view))
            )
            columns = [d.name for d in cur.description]
            rows = cur.fetchall()
            answered += 1
            out(f"{title} ({view}): {len(rows):,} rows")
            if "shop_domain" not in columns:
                out("\n".join(_shop_lines(columns, rows)) if rows else "    (empty)")
                continue
            shops: dict[str, list[tuple]] = defaultdict(list)
            for row in rows:
                shops[str(row[columns.index("shop_domain")])].append(row)
            for shop in sorted(shops):
                out(f"  {shop}")
                for line in _shop_lines(columns, shops[shop]):
                    out(line)
    return answered
