"""Raw customers by the keys a Chatwoot contact matches them on (issue 17).

Expression indexes on ``raw_shopify.customers`` (the lower-cased e-mail, the phone's last ten
digits, the numeric id), the same keys of ``raw_chatwoot.contacts`` (e-mail, phone digits, the
``shopify_customer_id`` attribute), and a partial index of the customers deleted in Shopify:
``cx_commerce_links`` rebuilds only the conversations whose link can have changed, and tells
whether a contact's e-mail or phone is unique among the shop's customers by reading the
customers that share it, not every raw customer.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

from warehouse.migrate import run_sql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql(__file__)


def downgrade() -> None:
    raise NotImplementedError("warehouse migrations are forward-only: restore a backup instead")
