"""GDPR actions on a small hand-made warehouse: exports, customer and shop redaction, audit."""

from __future__ import annotations

import json
import uuid

import pytest
from psycopg2.extras import Json

from tests.security import support
from warehouse.access import grants
from warehouse.connection import connect
from warehouse.privacy import process

SHOP = support.SHOPS[0]
CUSTOMER = support.customer(1, 0)
EMAIL = CUSTOMER["defaultEmailAddress"]["emailAddress"]
PHONE = CUSTOMER["defaultPhoneNumber"]["phoneNumber"]
NAME = CUSTOMER["displayName"]
NEIGHBOUR = support.customer(1, 1)  # same shop, not redacted


def _mart(url) -> None:
    """A mart-like table and an intermediate table derived from raw, holding PII on purpose."""
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        for schema in ("marts", "intermediate"):
            cur.execute(
                f"""
                create table {schema}.customer_demo as
                select shop_domain, id as customer_id,
                       payload ->> 'displayName' as customer_name,
                       payload #>> '{{defaultEmailAddress,emailAddress}}' as email,
                       payload as details
                from raw_shopify.customers
                """
            )
        cur.execute("select * from security.secure_schema('marts')")


def _webhook(url, delivery: str, topic: str, shop: str, payload: dict) -> None:
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            """
            insert into raw_app.webhook_events (source, delivery_id, shop_domain, topic, payload)
            values ('shopify', %s, %s, %s, %s)
            """,
            (delivery, shop, topic, Json(payload)),
        )


def _redact_request() -> dict:
    return {
        "shop_id": 1,
        "shop_domain": SHOP,
        "customer": {"id": 1000, "email": EMAIL, "phone": PHONE},
        "orders_to_redact": [10000],
    }


def _process(url) -> list[process.Outcome]:
    conn = connect(url)
    try:
        return process.process_pending(conn)
    finally:
        conn.close()


@pytest.fixture
def warehouse(fresh_db, tmp_path, monkeypatch):
    monkeypatch.setenv("HOTROD_HOME", str(tmp_path))
    support.land(fresh_db, support.raw_rows(), "batch-1")
    _mart(fresh_db)
    return fresh_db


def test_customer_redact_webhook_removes_pii_everywhere_and_it_stays_removed(warehouse):
    url = warehouse
    # PII also sits in a customers/update delivery and in a quarantined record.
    _webhook(url, "d-update", "customers/update", SHOP, {"graphql_node": CUSTOMER})
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            "insert into raw_app.quarantine (source, entity, shop_domain, reason, raw_text) "
            "values ('shopify', 'customers', %s, 'bad json', %s)",
            (SHOP, json.dumps(CUSTOMER)[:-3]),
        )
    assert support.scan(url, [EMAIL, PHONE, NAME])  # the scan does find PII before

    _webhook(url, "d-redact", "customers/redact", SHOP, _redact_request())
    outcomes = _process(url)
    assert [(o.topic, o.status) for o in outcomes] == [("customers/redact", "done")]
    assert support.scan(url, [EMAIL, PHONE, NAME]) == []

    # The neighbour keeps everything; analytics keep the redacted customer's non-personal facts.
    neighbour = NEIGHBOUR["defaultEmailAddress"]["emailAddress"]
    assert {hit[0] for hit in support.scan(url, [neighbour])} >= {
        "raw_shopify.customers",
        "raw_chatwoot.contacts",
        "marts.customer_demo",
    }
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            "select payload from raw_shopify.orders where shop_domain = %s and id = %s",
            (SHOP, "gid://shopify/Order/10000"),
        )
        redacted_order = cur.fetchone()[0]
        cur.execute(
            "select action, shop_domain, subject, actor, counts from raw_app.privacy_audit_log"
        )
        audits = cur.fetchall()
        cur.execute(
            "select processed_at is not null from raw_app.webhook_events "
            "where delivery_id = 'd-redact'"
        )
        processed = cur.fetchone()[0]
    assert redacted_order["totalPriceSet"]["shopMoney"]["amount"] == "10.00"
    assert redacted_order["customer"] == {"id": CUSTOMER["id"]}
    assert processed
    [(action, shop, subject, actor, counts)] = audits
    assert (action, shop, subject, actor) == (
        "redact_customer",
        SHOP,
        CUSTOMER["id"],
        "webhook:shopify:d-redact",
    )
    assert counts["raw_shopify.customers"] == 1
    assert counts["raw_chatwoot.messages"] == 2
    assert counts["raw_chatwoot.csat_survey_responses"] == 1
    assert counts["raw_app.quarantine (deleted)"] == 1

    # A full re-extraction lands the PII again, with newer timestamps: the trigger scrubs it.
    again = support.raw_rows()
    for items in again.values():
        items[:] = [(s, i, support.later(), d) for s, i, _, d in items]
    support.land(url, again, "batch-2")
    _webhook(url, "d-update-2", "customers/update", SHOP, {"graphql_node": CUSTOMER})
    assert support.scan(url, [EMAIL, PHONE, NAME]) == []
    assert support.scan(url, [neighbour])


def test_data_request_exports_everything_and_redaction_removes_the_export(warehouse, tmp_path):
    url = warehouse
    request = {
        "shop_domain": SHOP,
        "customer": {"id": 1000, "email": EMAIL},
        "orders_requested": [],
    }
    _webhook(url, "d-request", "customers/data_request", SHOP, request)
    [outcome] = _process(url)
    assert outcome.status == "done", outcome.detail
    [path] = list((tmp_path / "privacy" / "exports" / SHOP).glob("customer-1000-*.json"))
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    document = json.loads(path.read_text())
    assert document["customer_id"] == CUSTOMER["id"]
    assert document["raw"]["raw_shopify.customers"][0]["displayName"] == NAME
    assert [o["id"] for o in document["raw"]["raw_shopify.orders"]] == ["gid://shopify/Order/10000"]
    assert len(document["raw"]["raw_chatwoot.contacts"]) == 1
    assert len(document["raw"]["raw_chatwoot.messages"]) == 2
    assert len(document["raw"]["raw_chatwoot.csat_survey_responses"]) == 1
    assert document["marts"]["marts.customer_demo"][0]["email"] == EMAIL
    assert NEIGHBOUR["displayName"] not in path.read_text()

    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("select customer_id, actor from raw_app.privacy_exports")
        assert cur.fetchall() == [(CUSTOMER["id"], "webhook:shopify:d-request")]
        cur.execute("select action, counts from raw_app.privacy_audit_log")
        [(action, counts)] = cur.fetchall()
    assert action == "export_customer"
    assert counts["raw_chatwoot.messages"] == 2

    _webhook(url, "d-redact", "customers/redact", SHOP, _redact_request())
    assert [o.status for o in _process(url)] == ["done"]
    assert not path.exists()
    assert support.scan(url, [EMAIL, PHONE, NAME]) == []


def _counts_by_shop(url) -> dict[str, dict[str, int]]:
    conn = connect(url, autocommit=True)
    out: dict[str, dict[str, int]] = {}
    with conn, conn.cursor() as cur:
        cur.execute(
            """
            select table_schema || '.' || table_name from information_schema.columns
            where column_name = 'shop_domain'
              and table_schema in
                  ('raw_shopify', 'raw_chatwoot', 'raw_app', 'marts', 'intermediate')
            """
        )
        for (table,) in cur.fetchall():
            cur.execute(f"select shop_domain, count(*) from {table} group by 1")
            out[table] = dict(cur.fetchall())
    return out


def test_shop_redact_removes_every_row_of_the_shop_and_keeps_it_out(warehouse):
    url = warehouse
    gone, kept = support.SHOPS[2], support.SHOPS[:2]
    _webhook(url, "d-other", "customers/update", gone, {"graphql_node": support.customer(3, 0)})
    conn = connect(url)
    tenant = f"t_{uuid.uuid4().hex[:8]}_redact"
    grants.grant(conn, tenant, [gone, kept[0]], "test")  # a tenant mapped to the shop
    before = _counts_by_shop(url)
    _webhook(url, "d-shop", "shop/redact", gone, {"shop_id": 3, "shop_domain": gone})
    assert [o.status for o in _process(url)] == ["done"]

    assert support.scan(url, [gone]) == []  # the tenant mapping and grant log included
    assert [m.shop_domain for m in grants.mappings(conn) if m.role_name == tenant] == [kept[0]]
    with conn.cursor() as cur:  # arrays are not scanned: the grant log keeps the digest only
        cur.execute(
            "select shops from raw_app.access_grant_log where role_name = %s and action = 'grant'",
            (tenant,),
        )
        [(shops,)] = cur.fetchall()
    assert gone not in shops and kept[0] in shops and any(s.startswith("sha256:") for s in shops)
    grants.revoke(conn, tenant, [], "test")
    conn.close()
    after = _counts_by_shop(url)
    for table, counts in before.items():
        assert gone not in after[table]
        assert {s: counts[s] for s in kept if s in counts} == {
            s: after[table][s] for s in kept if s in counts
        }, table

    # Re-extraction of the removed shop lands nothing.
    support.land(url, support.raw_rows(), "batch-2")
    assert support.scan(url, [gone]) == []
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("select action, shop_domain, subject from raw_app.privacy_audit_log")
        [(action, shop, subject)] = cur.fetchall()
    assert action == "redact_shop" and shop is None and subject.startswith("sha256:")


def test_later_conversations_are_scrubbed_in_whatever_order_they_land(warehouse):
    url = warehouse
    _webhook(url, "d-redact", "customers/redact", SHOP, _redact_request())
    assert [o.status for o in _process(url)] == ["done"]

    # A new conversation of the redacted contact: its messages land before the conversation.
    cont = support.contact(1, 0, CUSTOMER)
    conv = support.conversation(1, 0, cont) | {"id": 987654}
    messages = support.messages(1, 0, conv, cont)
    for n, message in enumerate(messages):
        message["id"] = 9876540 + n
    support.land(
        url,
        {"raw_chatwoot.messages": [(SHOP, str(m["id"]), support.later(), m) for m in messages]},
        "batch-m",
    )
    support.land(
        url,
        {"raw_chatwoot.conversations": [(SHOP, str(conv["id"]), support.later(), conv)]},
        "batch-c",
    )
    assert support.scan(url, [EMAIL, PHONE, NAME]) == []
    rows = support.query(
        url,
        "select payload ->> 'content' from raw_chatwoot.messages where id in (%s, %s)",
        ("9876540", "9876541"),
    )
    assert rows == [(None,), (None,)]


def test_operator_reads_the_privacy_audit_of_its_shop_only(warehouse, tmp_path):
    url = warehouse
    # get_privacy_audit_log() is dbt's (on-run-end), over the staged privacy audit log
    built = support.dbt(url, ["run", "--select", "stg_warehouse__privacy_audit_log"], str(tmp_path))
    assert built.returncode == 0, built.stdout[-3000:]
    _webhook(url, "d-redact", "customers/redact", SHOP, _redact_request())
    assert [o.status for o in _process(url)] == ["done"]
    with support.operator_login(url) as conn, conn.cursor() as cur:
        support.set_claim(conn, {"shop_domain": SHOP})
        cur.execute("select action, subject, status from marts.get_privacy_audit_log()")
        assert cur.fetchall() == [("redact_customer", CUSTOMER["id"], "done")]
        support.set_claim(conn, {"shop_domain": support.SHOPS[1]})
        cur.execute("select count(*) from marts.get_privacy_audit_log()")
        assert cur.fetchone()[0] == 0
