"""The dbt release the warehouse's views and seeds were last built from (issue 17).

``raw_app.dbt_release`` keeps one fingerprint of the dbt project (every node's definition, every
project macro, dbt_project.yml), written when a daily run has built every view and seed of the
daily selection. On an ordinary day the daily run leaves the views, seeds and unit tests out
while the fingerprint matches and every one of those relations exists
(``orchestration/defs/release.py``).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from __future__ import annotations

from warehouse.migrate import run_sql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql(__file__)


def downgrade() -> None:
    raise NotImplementedError("warehouse migrations are forward-only: restore a backup instead")
