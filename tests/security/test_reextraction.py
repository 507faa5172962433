"""A customers/redact delivered through the webhook receiver stays in force when the real
extractors re-read everything from the sandbox APIs (`--full`): the database scrubs the payloads
they land, whoever lands them."""

from __future__ import annotations

import pytest

from tests.security import support
from warehouse.connection import connect
from warehouse.privacy import process


def _subject(url) -> tuple[str, dict, list[str]]:
    rows = support.query(
        url,
        """
        with names as (
            select payload ->> 'displayName' as name, count(*) as n
            from raw_shopify.customers group by 1
        )
        select cu.shop_domain, cu.payload from raw_shopify.customers cu
        join raw_chatwoot.contacts co
          on co.shop_domain = cu.shop_domain
         and co.payload #>> '{custom_attributes,shopify_customer_id}' = split_part(cu.id, '/', 5)
        join names on names.name = cu.payload ->> 'displayName' and names.n = 1
        order by (cu.payload -> 'defaultPhoneNumber') is null, cu.shop_domain, cu.id
        limit 1
        """,
    )
    shop, customer = rows[0]
    needles = [customer["displayName"], customer["defaultEmailAddress"]["emailAddress"]]
    if customer.get("defaultPhoneNumber"):
        needles.append(customer["defaultPhoneNumber"]["phoneNumber"])
    return shop, customer, needles


def test_redaction_holds_through_a_full_reextraction(fresh_db):
    store_mod = pytest.importorskip("sandbox.store")
    server_mod = pytest.importorskip("sandbox.server")
    sender = pytest.importorskip("sandbox.webhook_sender")
    from extractors import run
    from extractors.webhooks.server import start_receiver
    from tests.extractors.sandbox_helpers import sandbox_settings

    store = store_mod.SandboxStore.open(orders=300, seed=7)
    server = server_mod.start_server(store)
    try:
        cfg = sandbox_settings(server.url, store)
        run.extract_all(fresh_db, cfg, run.RunOptions(progress=False))
        shop, customer, needles = _subject(fresh_db)
        assert support.scan(fresh_db, needles)

        receiver = start_receiver(fresh_db, cfg.webhooks())
        try:
            redact = sender.privacy_deliveries(shop, customer)[1]
            assert redact.topic == "customers/redact"
            report = sender.send([redact], receiver.url, shopify_secret="sandbox_shopify_secret")
            assert report.delivered == 1, report
        finally:
            receiver.stop()
        conn = connect(fresh_db)
        try:
            outcomes = process.process_pending(conn)
        finally:
            conn.close()
        assert [(o.topic, o.status) for o in outcomes] == [("customers/redact", "done")]
        assert support.scan(fresh_db, needles) == []

        again = run.extract_all(fresh_db, cfg, run.RunOptions(full=True, progress=False))
        assert sum(r.rows_read for r in again) > 1000
        assert {r.status for r in again} == {"ok"}
        assert support.scan(fresh_db, needles) == []
    finally:
        server.stop()
        store.close()
