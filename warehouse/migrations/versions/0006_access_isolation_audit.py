"""Shop isolation a SQL user cannot widen, a record of who read what (issue 16).

Tenant login roles mapped to shops (security.tenant_shops, written by service_role only); the
shop function honours ``request.jwt.claims`` only in sessions of the gateway role
(``authenticator``); the access audit tables and ``raw_app.v_access_audit_7d``; the grant log.

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from warehouse.migrate import run_sql

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql(__file__)


def downgrade() -> None:
    raise NotImplementedError("warehouse migrations are forward-only: restore a backup instead")
