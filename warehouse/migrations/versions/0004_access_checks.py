"""Access checks recorded at the start of an extraction (issue 13).

``raw_app.access_checks``: the newest result of each check per source and shop (e.g. the Shopify
token lacks ``read_all_orders``: orders older than 60 days are not visible). The data-quality
views show a failing check.

Revision ID: 0004
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

from warehouse.migrate import run_sql

revision = "0004"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql(__file__)


def downgrade() -> None:
    raise NotImplementedError("warehouse migrations are forward-only: restore a backup instead")
