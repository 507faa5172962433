"""Watermarks of the models incremental by key, and landing-time indexes (issue 17).

``raw_app.dbt_watermarks`` keeps, per dbt model, the moment up to which the model has taken
every change (the dbt macros ``key_watermark`` and ``delete_changed_keys``): the customer and
conversation models and the two real-time marts rebuild only the keys changed since. Indexes on
``extracted_at`` let them read the raw customers, conversations, messages and contacts landed
since then without scanning every row.

Revision ID: 0013
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

from warehouse.migrate import run_sql

revision = "0013"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql(__file__)


def downgrade() -> None:
    raise NotImplementedError("warehouse migrations are forward-only: restore a backup instead")
