"""Deleted raw orders by index (issue 17).

A partial index on ``raw_shopify.orders`` of the rows with ``deleted_at``: the incremental dbt
models delete those orders' rows each run by reading this small index, not by an anti-join of
every stored row.

Revision ID: 0012
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from warehouse.migrate import run_sql

revision = "0012"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql(__file__)


def downgrade() -> None:
    raise NotImplementedError("warehouse migrations are forward-only: restore a backup instead")
