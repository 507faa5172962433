"""Baseline: the warehouse as release 0.1 bootstrapped it.

Schemas, roles, raw landing tables, security and privacy: the four SQL files 0.1 re-ran at every
start, unchanged.

Idempotent SQL, so a warehouse built by that release (which has no alembic_version table yet)
upgrades through it without losing a row.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from warehouse.migrate import run_sql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in ("001_schemas_roles", "002_raw_tables", "003_security", "004_privacy"):
        run_sql(f"0001_baseline/{name}.sql")


def downgrade() -> None:
    raise NotImplementedError("warehouse migrations are forward-only: restore a backup instead")
