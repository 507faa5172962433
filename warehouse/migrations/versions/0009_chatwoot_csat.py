"""Chatwoot CSAT survey responses (issue 18): their raw table, covered by privacy.

``raw_chatwoot.csat_survey_responses`` in the landing shape of every raw table; the privacy
functions (subject keys, the sweep, the redaction pass) learn the new table, and its inserts and
updates run the redaction sweep like the other person tables.

Revision ID: 0009
Revises: 0012
Create Date: 2026-11-29
"""

from __future__ import annotations

from warehouse.migrate import run_sql

revision = "0009"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql(__file__)


def downgrade() -> None:
    raise NotImplementedError("warehouse migrations are forward-only: restore a backup instead")
