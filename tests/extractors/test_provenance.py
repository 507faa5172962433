"""A warehouse holding real data refuses sandbox data, and the reverse (one line)."""

from __future__ import annotations

import pytest

from extractors import run
from extractors.errors import ExtractError
from tests.extractors.conftest import FAST_RETRIES, serve
from tests.extractors.sandbox_helpers import sandbox_settings
from warehouse import provenance
from warehouse.connection import connect

REAL = "hot-rod-an.myshopify.com"
SANDBOX = "hot-rod-an.sandbox.test"


def _landed(url, shop: str) -> None:
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            "insert into raw_app.extract_state (source, shop_domain, entity) "
            "values ('shopify', %s, 'orders')",
            (shop,),
        )
    conn.close()


def test_kind_of_a_shop():
    assert provenance.is_sandbox_shop(SANDBOX)
    assert provenance.is_sandbox_shop("Speedway-Classics.SANDBOX.test")
    assert not provenance.is_sandbox_shop(REAL)
    assert not provenance.is_sandbox_shop("sandbox.test.myshopify.com")


def test_an_empty_warehouse_admits_either_kind_and_the_same_kind_again(fresh_db):
    provenance.admit_url(fresh_db, REAL)
    provenance.admit_url(fresh_db, SANDBOX)
    _landed(fresh_db, REAL)
    provenance.admit_url(fresh_db, "speedway.myshopify.com")


@pytest.mark.parametrize(("present", "offered"), [(REAL, SANDBOX), (SANDBOX, REAL)])
def test_the_other_kind_is_refused_in_one_line(fresh_db, present, offered):
    _landed(fresh_db, present)
    with pytest.raises(provenance.SourceMixError) as caught:
        provenance.admit_url(fresh_db, offered)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"refusing {provenance.kind(offered)} data for {offered}: ")
    assert f"already holds {provenance.kind(present)} data (shop {present})" in message


def test_sandbox_extraction_into_a_real_warehouse_lands_nothing(fresh_db, sandbox_store):
    _landed(fresh_db, REAL)
    server = serve(sandbox_store)
    try:
        settings = sandbox_settings(server.url, sandbox_store)
        options = run.RunOptions(progress=False, policy=FAST_RETRIES)
        with pytest.raises(ExtractError, match="refusing sandbox data for .*sandbox.test"):
            run.extract_entity(fresh_db, settings, "shopify", "shops", options=options)
    finally:
        server.stop()
    conn = connect(fresh_db, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("select count(*) from raw_shopify.shops")
        assert cur.fetchone()[0] == 0
        cur.execute("select count(*) from raw_app.load_ledger")
        assert cur.fetchone()[0] == 0
    conn.close()
