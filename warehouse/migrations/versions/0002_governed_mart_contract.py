"""The mart layer as a governed contract (issue 15).

Ordered vocabularies for severity and status columns (schema vocab); the decision-log archive
table, until now created by a dbt hook; the privacy audit function moves to dbt; operator may
read only the contract views and the relations they select from.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from warehouse.migrate import run_sql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql(__file__)


def downgrade() -> None:
    raise NotImplementedError("warehouse migrations are forward-only: restore a backup instead")
