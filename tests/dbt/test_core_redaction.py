"""Staging honours raw_app.redactions, so a GDPR redaction survives every rebuild.

A customer listed in raw_app.redactions keeps their raw rows (the extractor may land them again),
but staging nulls their PII: names, e-mail, phone and address on the customer, the shipping
address on their orders, the linked Chatwoot contact's details, the sender on their
conversations and the text of the messages they sent. Other customers are untouched.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sandbox.store import SandboxStore
from tests.support.dbt_runs import failure_summary, run_dbt_isolated
from tests.support.raw_loader import load_store
from warehouse.connection import connect
from warehouse.settings import DatabaseUrl

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_redacted_customer_pii_is_null_in_staging(
    module_db: DatabaseUrl, store: SandboxStore, tmp_path: Path
) -> None:
    load_store(module_db, store)
    conn = connect(module_db, autocommit=True)
    try:
        with conn.cursor() as cur:
            # A customer with orders and a Chatwoot contact who wrote at least one message.
            cur.execute(
                "select c.shop_domain, c.id, c.payload -> 'defaultEmailAddress' ->> 'emailAddress',"
                " (ct.payload ->> 'id')::bigint"
                " from raw_shopify.customers as c"
                " join raw_chatwoot.contacts as ct on ct.shop_domain = c.shop_domain"
                "  and ct.payload -> 'custom_attributes' ->> 'shopify_customer_id'"
                "      = split_part(c.id, '/', 5)"
                " where exists (select 1 from raw_shopify.orders as o"
                "  where o.shop_domain = c.shop_domain and o.payload -> 'customer' ->> 'id' = c.id)"
                " and exists (select 1 from raw_chatwoot.messages as m"
                "  where m.shop_domain = ct.shop_domain and m.payload ->> 'sender_type' = 'Contact'"
                "  and (m.payload ->> 'sender_id')::bigint = (ct.payload ->> 'id')::bigint)"
                " order by c.id limit 1"
            )
            shop, customer_gid, email, contact_id = cur.fetchone()
            cur.execute(
                "insert into raw_app.redactions (shop_domain, customer_id, email)"
                " values (%s, %s, %s)",
                (shop, customer_gid, email),
            )

        result = run_dbt_isolated(module_db, ["run", "--select", "staging"], tmp_path)
        assert result.returncode == 0, failure_summary(result)

        with conn.cursor() as cur:
            cur.execute(
                "select is_redacted, first_name, last_name, display_name, email, phone, city, zip"
                " from staging.stg_shopify__customers where shop_domain = %s and customer_gid = %s",
                (shop, customer_gid),
            )
            flag, *pii = cur.fetchone()
            assert flag and pii == [None] * 7
            cur.execute(
                "select count(*), count(shipping_country_code) from staging.stg_shopify__orders"
                " where shop_domain = %s and customer_gid = %s",
                (shop, customer_gid),
            )
            orders, with_address = cur.fetchone()
            assert orders > 0 and with_address == 0
            cur.execute(
                "select contact_name, email, phone_number, identifier"
                " from staging.stg_chatwoot__contacts where shop_domain = %s and contact_id = %s",
                (shop, contact_id),
            )
            assert cur.fetchone() == (None, None, None, None)
            cur.execute(
                "select count(*), count(content) from staging.stg_chatwoot__messages"
                " where shop_domain = %s and sender_type = 'Contact' and sender_id = %s",
                (shop, contact_id),
            )
            messages, with_text = cur.fetchone()
            assert messages > 0 and with_text == 0
            cur.execute(
                "select count(*), count(contact_email) from staging.stg_chatwoot__conversations"
                " where shop_domain = %s and contact_id = %s",
                (shop, contact_id),
            )
            conversations, with_email = cur.fetchone()
            assert conversations > 0 and with_email == 0
            # Everyone else keeps their data.
            cur.execute(
                "select count(*) from staging.stg_shopify__customers"
                " where not is_redacted and email is not null"
            )
            assert cur.fetchone()[0] > 100
            cur.execute("select count(*) from staging.stg_shopify__customers where is_redacted")
            assert cur.fetchone()[0] == 1
    finally:
        conn.close()
