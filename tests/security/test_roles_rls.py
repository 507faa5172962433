"""Roles, grants and row level security on a small hand-made mart schema (no dbt needed)."""

from __future__ import annotations

import json
import uuid

import psycopg2
import pytest
from psycopg2 import errors, sql

from tests.security import support
from warehouse.bootstrap import bootstrap
from warehouse.connection import connect

A, B, C = support.SHOPS
# What dbt passes for the real marts: the relations operator may read (the contract and what it
# selects from). Here: everything but the materialized view and the hidden table.
READABLE = ["sales", "taxonomy", "v_sales_total", "v_sales_all"]
SECURE = "select object_name, action from security.secure_schema('marts', %s)"


@pytest.fixture(scope="module")
def marts(module_db):
    conn = connect(module_db, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            """
            create table marts.sales (shop_domain text not null, day date, revenue numeric);
            insert into marts.sales
            select shop, date '2026-01-01' + d, d * 10
            from unnest(%s::text[]) as shop, generate_series(0, 9) as d;
            create index on marts.sales (shop_domain);
            create table marts.hidden as select * from marts.sales;
            create table marts.taxonomy (product_type text);
            insert into marts.taxonomy values ('Carburetor');
            create view marts.v_sales_total as
                select shop_domain, sum(revenue) as revenue from marts.sales group by 1;
            create view marts.v_sales_all as select count(*) as n from marts.sales;
            create materialized view marts.mv_sales as select * from marts.sales;
            create function marts.f_invoker() returns bigint language sql stable
                as 'select count(*) from marts.sales';
            create function marts.f_definer_leaky() returns bigint language sql stable
                security definer as 'select count(*) from marts.sales';
            create function marts.f_definer_scoped() returns bigint language sql stable
                security definer
                as 'select count(*) from marts.sales
                    where shop_domain = any(security.claimed_shops())';
            create table raw_app.secret_stuff as select 1 as i;
            create view staging.stg_sales as select * from marts.sales;
            create table intermediate.int_sales as select * from marts.sales;
            """,
            (list(support.SHOPS),),
        )
        cur.execute(SECURE, (READABLE,))
        actions = dict(cur.fetchall())
    assert actions["marts.mv_sales"].startswith("materialized view: not granted")
    assert actions["marts.f_definer_leaky()"].endswith("not granted to operator")
    return module_db


def _claimed(conn, claims) -> list[str]:
    support.set_claim(conn, claims)
    with conn.cursor() as cur:
        cur.execute("select security.claimed_shops()")
        return cur.fetchone()[0]


def test_claim_forms(marts):
    with support.operator_login(marts) as conn:
        assert _claimed(conn, None) == []
        assert _claimed(conn, {}) == []
        assert _claimed(conn, {"shop_domain": A}) == [A]
        assert _claimed(conn, {"shop_domain": [B, A, A]}) == sorted([A, B])
        assert _claimed(conn, {"shop_domains": [C]}) == [C]
        assert _claimed(conn, {"app_metadata": {"shop_domain": B}}) == [B]
        assert _claimed(conn, {"user_metadata": {"shop_domain": B}}) == []  # user-editable
        assert _claimed(conn, {"shop_domain": ["", None]}) == []


def test_operator_reads_only_claimed_shops_through_tables_views_and_functions(marts):
    with support.operator_login(marts) as conn, conn.cursor() as cur:
        for claims, shops in (
            ({"shop_domain": A}, {A}),
            ({"shop_domain": [A, C]}, {A, C}),
            (None, set()),
        ):
            support.set_claim(conn, claims)
            cur.execute("select distinct shop_domain from marts.sales")
            assert {r[0] for r in cur.fetchall()} == shops
            cur.execute("select shop_domain from marts.v_sales_total")
            assert {r[0] for r in cur.fetchall()} == shops
            cur.execute("select n from marts.v_sales_all")  # an aggregate cannot peek either
            assert cur.fetchone()[0] == 10 * len(shops)
            cur.execute("select count(*) from marts.taxonomy")  # reference data: claim needed
            assert cur.fetchone()[0] == (1 if shops else 0)
            cur.execute("select marts.f_invoker(), marts.f_definer_scoped()")
            assert cur.fetchone() == (10 * len(shops), 10 * len(shops))
        for statement in (
            "select * from marts.mv_sales",
            "select marts.f_definer_leaky()",
            "select * from raw_app.secret_stuff",
            "select * from staging.stg_sales",
            "select * from intermediate.int_sales",
            "insert into marts.sales values ('x', null, 1)",
            "update marts.sales set revenue = 0",
            "delete from marts.sales",
            "create table marts.evil (i int)",
            "create temp table evil (i int)",
            "create function marts.evil() returns int language sql as 'select 1'",
            "alter view marts.v_sales_total set (security_invoker = false)",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                cur.execute(statement)


def test_owner_and_service_role_see_every_shop(marts):
    member_name = f"t_service_{uuid.uuid4().hex[:8]}"
    conn = connect(marts, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("select count(distinct shop_domain) from marts.sales")
        assert cur.fetchone()[0] == 3
        cur.execute(
            sql.SQL("create role {} login in role service_role").format(sql.Identifier(member_name))
        )
    try:
        member = psycopg2.connect(**{**marts.connect_kwargs(), "user": member_name})
        member.autocommit = True
        with member, member.cursor() as cur:
            cur.execute("select count(distinct shop_domain) from marts.sales")
            assert cur.fetchone()[0] == 3
            cur.execute(
                "insert into raw_shopify.shops (shop_domain, id, updated_at, payload, batch_id)"
                " values ('x', 'x', now(), '{}', 'b')"
            )
        member.close()
    finally:
        with conn, conn.cursor() as cur:
            cur.execute(sql.SQL("drop owned by {}").format(sql.Identifier(member_name)))
            cur.execute(sql.SQL("drop role {}").format(sql.Identifier(member_name)))
        conn.close()


def test_claim_is_evaluated_once_per_query(marts):
    with support.operator_login(marts) as conn, conn.cursor() as cur:
        support.set_claim(conn, {"shop_domain": A})
        cur.execute("explain select * from marts.sales where revenue > 0")
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "InitPlan" in plan and "claimed_shops" not in plan.split("InitPlan")[0]


def test_bootstrap_again_keeps_everything_secure(marts):
    bootstrap(marts)
    conn = connect(marts, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(SECURE, (READABLE,))
        actions = dict(cur.fetchall())
    assert actions["marts.sales"] == "table: already secure, operator reads"
    assert actions["marts.v_sales_total"] == "view: already secure, operator reads"
    assert actions["marts.hidden"] == "table: already secure, operator may not read"


def test_a_relation_outside_the_readable_set_is_secured_but_not_granted(marts):
    with support.operator_login(marts) as conn, conn.cursor() as cur:
        support.set_claim(conn, {"shop_domain": A})
        cur.execute("select count(*) from marts.sales")
        assert cur.fetchone()[0] > 0
        with pytest.raises(errors.InsufficientPrivilege):
            cur.execute("select count(*) from marts.hidden")
    conn = connect(marts, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            "select relrowsecurity and relforcerowsecurity from pg_class"
            " where oid = 'marts.hidden'::regclass"
        )
        assert cur.fetchone()[0] is True
        # leaving the readable set revokes the grant; joining it grants
        cur.execute(SECURE, (["taxonomy", "v_sales_total", "v_sales_all", "hidden"],))
        cur.execute("select has_table_privilege('operator', 'marts.sales', 'select')")
        assert cur.fetchone()[0] is False
        cur.execute("select has_table_privilege('operator', 'marts.hidden', 'select')")
        assert cur.fetchone()[0] is True
        cur.execute(SECURE, (READABLE,))


def test_operator_may_call_only_the_claim_function_of_the_security_schema(marts):
    conn = connect(marts, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            """
            select p.oid::regprocedure::text from pg_proc p
            where p.pronamespace = 'security'::regnamespace
              and has_function_privilege('operator', p.oid, 'execute')
            """
        )
        assert [r[0] for r in cur.fetchall()] == ["security.claimed_shops()"]
    with (
        support.operator_login(marts) as op,
        op.cursor() as cur,
        pytest.raises(errors.InsufficientPrivilege),
    ):
        cur.execute("select security.apply_redactions(%s)", (A,))


def test_postgrest_style_role_switch_and_transaction_local_claim(marts):
    """PostgREST: an authenticator (noinherit) switches to `operator` per request, with the
    claims set transaction-locally."""
    admin = connect(marts, autocommit=True)
    name = f"t_authenticator_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cur:
        cur.execute(sql.SQL("create role {} login noinherit").format(sql.Identifier(name)))
        cur.execute(sql.SQL("grant operator, authenticator to {}").format(sql.Identifier(name)))
    try:
        conn = psycopg2.connect(**{**marts.connect_kwargs(), "user": name})
        with conn.cursor() as cur:
            with pytest.raises(errors.InsufficientPrivilege):
                cur.execute("select count(*) from marts.sales")  # not without the role switch
            conn.rollback()
            cur.execute("set local role operator")
            cur.execute(
                "select set_config('request.jwt.claims', %s, true)",
                (json.dumps({"role": "operator", "shop_domain": B}),),
            )
            cur.execute("select distinct shop_domain from marts.v_sales_total")
            assert cur.fetchall() == [(B,)]
            conn.commit()
            cur.execute("set local role operator")  # next request: claim gone with the txn
            cur.execute("select count(*) from marts.sales")
            assert cur.fetchone()[0] == 0
            conn.rollback()
        conn.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))
        admin.close()
