"""A portable input check for the staging casts (issue 20 item 3).

``raw_app.input_is_valid(value, type_name)``: what ``pg_input_is_valid`` answers on PostgreSQL 16+,
for servers before 16, so that the defensive staging casts work on an external PostgreSQL 14/15.

Revision ID: 0007
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from warehouse.migrate import run_sql

revision = "0007"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql(__file__)


def downgrade() -> None:
    raise NotImplementedError("warehouse migrations are forward-only: restore a backup instead")
