"""The raw orders by landing time (issue 17).

An index on ``raw_shopify.orders (extracted_at)``: stg_shopify__orders re-stages, and
stg_shopify__rejected_values re-checks, only the orders landed since their watermark, read
through it, instead of comparing (or scanning) every raw order on every run.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from __future__ import annotations

from warehouse.migrate import run_sql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql(__file__)


def downgrade() -> None:
    raise NotImplementedError("warehouse migrations are forward-only: restore a backup instead")
