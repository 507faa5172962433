"""Shopify webhooks as change notices; deleted records (issue 13).

``raw_app.webhook_events`` gains the grouping ``event_id`` (X-Shopify-Event-Id), the record a
delivery names (``record_gid``) and the fetch attempts of a pending delivery; the raw Shopify
tables of records Shopify can delete gain ``deleted_at``.

Revision ID: 0003
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

from warehouse.migrate import run_sql

revision = "0003"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql(__file__)


def downgrade() -> None:
    raise NotImplementedError("warehouse migrations are forward-only: restore a backup instead")
