"""The raw tables' freshness figures from an index (issue 17).

Every raw landing table's ``(shop_domain, updated_at)`` index is replaced by one that also
carries ``extracted_at``: ``stg_warehouse__raw_table_stats`` (rows, newest extraction, newest
source update per shop; ``source_freshness``) is then answered by an index-only scan instead of
a scan of the table, whose rows hold the whole payload (raw orders: ~40 times the index).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from __future__ import annotations

from warehouse.migrate import run_sql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql(__file__)


def downgrade() -> None:
    raise NotImplementedError("warehouse migrations are forward-only: restore a backup instead")
