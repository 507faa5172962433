"""Google Analytics 4 as the third source (issue 19).

Schema raw_ga4 and its landing tables ``traffic_daily`` (a runReport row per property day, session
default channel group, device category and landing page) and ``traffic_hourly`` (per dateHour),
granted like the other raw schemas (service_role lands, operator reads nothing); the load
ledger's ``notes`` (thresholded or sampled answers, a quota running low).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

from warehouse.migrate import run_sql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql(__file__)


def downgrade() -> None:
    raise NotImplementedError("warehouse migrations are forward-only: restore a backup instead")
