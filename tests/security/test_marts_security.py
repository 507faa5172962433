"""Security on the real marts: sandbox store -> raw -> `dbt build`, then connect as `operator`.

One module-scoped warehouse, tests in order: read isolation first, then a customer redaction
(kept through `dbt build --full-refresh` and a full re-load of the sandbox), then a shop
redaction (nothing of the shop left, the other shops untouched).
"""

from __future__ import annotations

import pytest
from psycopg2 import errors, sql
from psycopg2.extras import Json

from tests.security import support
from tests.support.contract_views import CONTRACT_VIEW_COUNT
from tests.support.raw_loader import load_store
from warehouse.connection import connect
from warehouse.privacy import process

ORDERS, SEED = 300, 11  # test_tenant_isolation's: one warehouse built for both
RAW_SCHEMAS = ("raw_shopify", "raw_chatwoot", "raw_app", "staging", "intermediate")
BUILD = support.BUILD


@pytest.fixture(scope="module")
def built(warehouse_templates, store, tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("dbt"))
    with support.sandbox_marts(warehouse_templates, store, "hotrod_sec", workdir) as url:
        yield url, workdir


def _read_all(conn, schema: str) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every relation of the schema the connected role may select from, read whole."""
    out = {}
    with conn.cursor() as cur:
        for name, _ in support.relations(conn, schema):
            cur.execute("select has_table_privilege(%s, 'select')", (f"{schema}.{name}",))
            if not cur.fetchone()[0]:
                continue
            cur.execute(sql.SQL("select * from {}").format(sql.Identifier(schema, name)))
            out[name] = ([d[0] for d in cur.description], cur.fetchall())
    return out


def _contract_and_what_it_reads(url) -> set[str]:
    """The contract views (v_*) and the relations they select from directly."""
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            """
            select v.relname from pg_class v
            where v.relnamespace = 'marts'::regnamespace and v.relkind = 'v'
              and v.relname like 'v\\_%'
            union
            select t.relname
            from pg_class v
            join pg_rewrite r on r.ev_class = v.oid
            join pg_depend d on d.objid = r.oid and d.classid = 'pg_rewrite'::regclass
            join pg_class t on t.oid = d.refobjid and t.oid <> v.oid
            where v.relnamespace = 'marts'::regnamespace and v.relkind = 'v'
              and v.relname like 'v\\_%'
            """
        )
        return {row[0] for row in cur.fetchall()}


def test_every_mart_relation_is_secured(built):
    url, _ = built
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            """
            select c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity, c.reloptions
            from pg_class c where c.relnamespace = 'marts'::regnamespace
              and c.relkind in ('r', 'p', 'v', 'm')
            """
        )
        rows = cur.fetchall()
    assert len(rows) >= 10 + CONTRACT_VIEW_COUNT  # core tables + contract views, at least
    for name, kind, rls, forced, options in rows:
        assert kind in ("r", "p", "v"), f"{name}: a materialized view cannot have RLS"
        if kind == "v":
            assert "security_invoker=true" in (options or []), name
        else:
            assert rls and forced, name


@pytest.mark.parametrize("shop", support.SHOPS)
def test_operator_sees_only_the_claimed_shop_in_every_mart_relation(built, shop):
    url, _ = built
    with support.operator_login(url) as conn:
        support.set_claim(conn, {"shop_domain": shop})
        seen = _read_all(conn, "marts")
    assert set(seen) == _contract_and_what_it_reads(url)
    with_rows = 0
    for name, (columns, rows) in seen.items():
        assert "shop_domain" in columns, f"{name} has no shop_domain column"
        shops = {row[columns.index("shop_domain")] for row in rows}
        # 'platform' rows are platform-wide aggregates (shop activation), shown to any claim.
        assert shops <= {shop, "platform"}, f"{name} leaks {shops - {shop, 'platform'}}"
        with_rows += bool(rows)
    assert with_rows >= 20  # the claim really opens the marts, it does not just hide everything
    assert seen["v_activation_rate_7d"][1], "the platform-wide Ops tile must be visible"


def test_operator_may_read_the_contract_and_what_it_selects_from_nothing_else(built):
    """Not the core tables the contract does not read directly, not the seeds, not the
    forecasts: the 48 views and, for security_invoker, the relations under them."""
    url, _ = built
    admin = connect(url, autocommit=True)
    everything = {name for name, _ in support.relations(admin, "marts")}
    admin.close()
    readable = _contract_and_what_it_reads(url)
    assert len([n for n in readable if n.startswith("v_")]) == CONTRACT_VIEW_COUNT
    hidden = everything - readable
    assert {"sales_metrics_daily", "product_taxonomy", "fct_revenue_forecast"} <= hidden
    with support.operator_login(url) as conn, conn.cursor() as cur:
        support.set_claim(conn, {"shop_domain": support.SHOPS[0]})
        for name in sorted(hidden):
            with pytest.raises(errors.InsufficientPrivilege):
                statement = sql.SQL("select 1 from {} limit 1")
                cur.execute(statement.format(sql.Identifier("marts", name)))


def test_operator_with_several_shops_or_no_claim(built):
    url, _ = built
    admin = connect(url, autocommit=True)
    with admin, admin.cursor() as cur:
        cur.execute("select distinct shop_domain from marts.v_export_daily_performance")
        assert {r[0] for r in cur.fetchall()} == set(support.SHOPS)
    with support.operator_login(url) as conn, conn.cursor() as cur:
        for claims in (
            {"shop_domain": list(support.SHOPS[:2])},
            {"shop_domains": list(support.SHOPS[:2])},
            {"app_metadata": {"shop_domain": list(support.SHOPS[:2])}},
        ):
            support.set_claim(conn, claims)
            cur.execute("select distinct shop_domain from marts.v_export_daily_performance")
            assert {r[0] for r in cur.fetchall()} == set(support.SHOPS[:2]), claims
        for claims in (None, {}, {"role": "operator"}, {"shop_domain": ""}):
            support.set_claim(conn, claims)
            for name, (_, rows) in _read_all(conn, "marts").items():
                assert rows == [], f"{name} shows rows without a shop claim {claims}"


def test_operator_cannot_write_create_or_read_outside_marts(built):
    url, _ = built
    statements = [
        "insert into marts.sales_metrics_daily (shop_domain) values ('x')",
        "update marts.sales_metrics_daily set shop_domain = shop_domain",
        "delete from marts.sales_metrics_daily",
        "truncate marts.sales_metrics_daily",
        "create table marts.t_evil (i int)",
        "create view marts.v_evil as select 1",
        "create table public.t_evil (i int)",
        "create temp table t_evil (i int)",
        "create schema evil",
        "alter table marts.sales_metrics_daily disable row level security",
        "drop view marts.v_sales_pulse_current",
        "select marts.archive_old_audit_logs()",
    ]
    admin = connect(url, autocommit=True)
    hidden = [(s, n) for s in RAW_SCHEMAS for n, _ in support.relations(admin, s)]
    admin.close()
    assert len(hidden) > 20
    statements += [
        sql.SQL("select * from {} limit 1").format(sql.Identifier(s, n)) for s, n in hidden
    ]
    with support.operator_login(url) as conn, conn.cursor() as cur:
        support.set_claim(conn, {"shop_domain": support.SHOPS[0]})
        for statement in statements:
            with pytest.raises(errors.InsufficientPrivilege):
                cur.execute(statement)


def test_claim_aware_functions_answer_for_the_claimed_shop_only(built):
    url, _ = built
    shop, other = support.SHOPS[0], support.SHOPS[1]
    with support.operator_login(url) as conn, conn.cursor() as cur:
        support.set_claim(conn, {"shop_domain": shop})
        cur.execute("select count(*) from marts.get_shop_audit_trail(%s)", (shop,))
        assert cur.fetchone()[0] > 0
        cur.execute("select count(*) from marts.get_shop_audit_trail(%s)", (other,))
        assert cur.fetchone()[0] == 0
        cur.execute(
            "select distinct shop_domain from marts.export_audit_logs('2000-01-01', '2100-01-01')"
        )
        assert {r[0] for r in cur.fetchall()} == {shop}


def _subject(url) -> dict:
    """A sandbox customer with a Chatwoot contact and a name no other customer shares."""
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            """
            with names as (
                select payload ->> 'displayName' as name, count(*) as n
                from raw_shopify.customers group by 1
            )
            select cu.shop_domain, cu.id, cu.payload, co.payload
            from raw_shopify.customers cu
            join raw_chatwoot.contacts co
              on co.shop_domain = cu.shop_domain
             and co.payload #>> '{custom_attributes,shopify_customer_id}'
                 = split_part(cu.id, '/', 5)
            join names on names.name = cu.payload ->> 'displayName' and names.n = 1
            where exists (
                select 1 from raw_chatwoot.conversations cv
                where cv.shop_domain = co.shop_domain
                  and cv.payload #>> '{meta,sender,id}' = co.payload ->> 'id'
            )
            order by (cu.payload -> 'defaultPhoneNumber') is null, cu.shop_domain, cu.id
            limit 1
            """
        )
        shop, gid, customer, contact = cur.fetchone()
    email = customer["defaultEmailAddress"]["emailAddress"]
    phone = (customer.get("defaultPhoneNumber") or {}).get("phoneNumber")
    needles = [email, customer["displayName"]] + ([phone] if phone else [])
    return {"shop": shop, "gid": gid, "email": email, "phone": phone, "needles": needles}


def _deliver(url, delivery: str, topic: str, shop: str, payload: dict) -> None:
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            "insert into raw_app.webhook_events (source, delivery_id, shop_domain, topic, payload)"
            " values ('shopify', %s, %s, %s, %s)",
            (delivery, shop, topic, Json(payload)),
        )
    conn = connect(url)
    try:
        outcomes = process.process_pending(conn)
    finally:
        conn.close()
    assert [(o.topic, o.status) for o in outcomes] == [(topic, "done")], outcomes


def test_customer_redact_survives_full_refresh_and_reextraction(built, store):
    url, workdir = built
    subject = _subject(url)
    assert support.scan(url, subject["needles"])  # present before
    customer = {"id": int(subject["gid"].rsplit("/", 1)[-1]), "email": subject["email"]}
    if subject["phone"]:
        customer["phone"] = subject["phone"]
    _deliver(
        url,
        "e2e-redact",
        "customers/redact",
        subject["shop"],
        {"shop_domain": subject["shop"], "customer": customer, "orders_to_redact": []},
    )
    assert support.scan(url, subject["needles"]) == []

    result = support.dbt(url, [*BUILD, "--full-refresh", "--quiet"], workdir)
    assert result.returncode == 0, result.stdout[-3000:]
    assert support.scan(url, subject["needles"]) == []

    # Full re-extraction: every payload lands again, PII included; the database scrubs it.
    load_store(url, store, batch_id="sandbox-2")
    assert support.scan(url, subject["needles"]) == []
    # (full refresh: incremental marts are not what this test is about)
    result = support.dbt(url, [*BUILD, "--full-refresh", "--quiet"], workdir)
    assert result.returncode == 0, result.stdout[-3000:]
    assert support.scan(url, subject["needles"]) == []

    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            "select count(*) from marts.customer_segments where shop_domain = %s",
            (subject["shop"],),
        )
        assert cur.fetchone()[0] > 0  # analytics keep working for the shop


def _shop_counts(url) -> dict[str, dict[str, int]]:
    conn = connect(url, autocommit=True)
    out = {}
    with conn, conn.cursor() as cur:
        cur.execute(
            """
            select c.table_schema, c.table_name from information_schema.columns c
            join information_schema.tables t using (table_schema, table_name)
            where c.column_name = 'shop_domain' and t.table_type = 'BASE TABLE'
              and c.table_schema not in ('pg_catalog', 'information_schema')
            """
        )
        for schema, table in cur.fetchall():
            cur.execute(
                sql.SQL("select shop_domain, count(*) from {} group by 1").format(
                    sql.Identifier(schema, table)
                )
            )
            out[f"{schema}.{table}"] = dict(cur.fetchall())
    return out


def test_shop_redact_leaves_nothing_of_the_shop_and_the_others_untouched(built, store):
    url, workdir = built
    gone = support.SHOPS[2]
    kept = set(support.SHOPS) - {gone}
    before = _shop_counts(url)
    assert sum(gone in counts for counts in before.values()) >= 10
    _deliver(url, "e2e-shop", "shop/redact", gone, {"shop_id": 3, "shop_domain": gone})
    assert support.scan(url, [gone]) == []
    after = _shop_counts(url)
    for table, counts in before.items():
        assert {s: n for s, n in counts.items() if s in kept} == {
            s: n for s, n in after.get(table, {}).items() if s in kept
        }, table

    load_store(url, store, batch_id="sandbox-3")
    assert support.scan(url, [gone]) == []
    result = support.dbt(url, [*BUILD, "--full-refresh", "--quiet"], workdir)
    assert result.returncode == 0, result.stdout[-3000:]
    assert support.scan(url, [gone]) == []
