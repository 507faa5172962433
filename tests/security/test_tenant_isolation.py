"""Tenant logins and the gateway role on the real marts (issue 16): sandbox -> raw -> dbt build.

Every relation the operator roles can read is enumerated from the catalog and read whole, as a
tenant of one shop, of two shops, of none, before and after every widening attempt a SQL user
has (set_config, set role, reset role, function calls, security definer functions). Then the
gateway path (a claim works, no claim sees nothing), the access audit of what the tenants read,
`hotrod access`, and the retention the daily job applies (on the same built warehouse).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import pytest
from psycopg2 import errors, sql

from tests.security import support
from warehouse.access import grants, ingest
from warehouse.connection import connect

ORDERS, SEED = 300, 11
PLATFORM = "platform"  # platform-wide aggregates: visible to every tenant (docs/security.md)
HIDDEN_SCHEMAS = ("raw_shopify", "raw_chatwoot", "raw_app", "staging", "intermediate")
ACTOR = "test:tenant-isolation"
HOTROD = os.path.join(os.path.dirname(sys.executable), "hotrod")


@pytest.fixture(scope="module")
def built(warehouse_templates, store, tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("dbt"))
    with support.sandbox_marts(warehouse_templates, store, "hotrod_tenant", workdir) as url:
        yield url


@pytest.fixture(scope="module")
def shops(built) -> list[str]:
    conn = connect(built, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("select distinct shop_domain from raw_shopify.orders order by 1")
        found = [r[0] for r in cur.fetchall()]
    conn.close()
    assert len(found) >= 3, found
    return found


@pytest.fixture(scope="module")
def tenants(built, shops) -> Iterator[dict[str, tuple[str, str, set[str]]]]:
    """name -> (role, password, shops): one shop, two shops, none (mapping revoked)."""
    a, b = shops[0], shops[1]
    tag = uuid.uuid4().hex[:8]
    plan = {"a": [a], "ab": [a, b], "none": [a]}
    made: dict[str, tuple[str, str, set[str]]] = {}
    conn = connect(built)
    try:
        for key, mapped in plan.items():
            role = f"t_{tag}_{key}"
            password = grants.grant(conn, role, mapped, ACTOR)
            assert password
            made[key] = (role, password, set(mapped))
        grants.revoke(conn, made["none"][0], [a], ACTOR)
        made["none"] = (made["none"][0], made["none"][1], set())
        yield made
    finally:
        for role, _, _ in made.values():
            grants.revoke(conn, role, [], ACTOR)
        conn.close()


@contextmanager
def login(url, role: str, password: str) -> Iterator[psycopg2.extensions.connection]:
    conn = psycopg2.connect(
        connect_timeout=10, **{**url.connect_kwargs(), "user": role, "password": password}
    )
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()


def readable_relations(url) -> list[tuple[str, str, bool]]:
    """(schema, name, has shop_domain) of every relation operator can SELECT, any schema."""
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            """
            select n.nspname, c.relname,
                   exists (select 1 from pg_attribute a where a.attrelid = c.oid
                           and a.attname = 'shop_domain' and not a.attisdropped)
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p', 'v', 'm', 'f')
              and n.nspname not in ('pg_catalog', 'information_schema')
              and n.nspname not like 'pg\\_%%'
              and has_table_privilege('operator', c.oid, 'select')
            order by 1, 2
            """
        )
        rows = cur.fetchall()
    conn.close()
    return rows


def operator_functions(url) -> list[tuple[str, str, list[str]]]:
    """(schema, name, argument types) of every function operator may call outside pg_catalog."""
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            """
            select n.nspname, p.proname,
                   array(select format_type(t, null) from unnest(p.proargtypes) t)
            from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname not in ('pg_catalog', 'information_schema')
              and has_function_privilege('operator', p.oid, 'execute')
              and p.prokind = 'f'
            order by 1, 2
            """
        )
        rows = [(schema, name, list(types)) for schema, name, types in cur.fetchall()]
    conn.close()
    return rows


# Arguments of the functions by type: a foreign shop for text (a shop parameter), a wide range
# for dates.
DATE_ARGUMENTS = ("2000-01-01", "2100-01-01")


def scan(conn, relations, functions, foreign: str) -> dict[str, object]:
    """What the session sees: per relation the set of shops (or the row count when the relation
    has no shop_domain); per function the shops in its result."""
    seen: dict[str, object] = {}
    with conn.cursor() as cur:
        for schema, name, has_shop in relations:
            ident = sql.Identifier(schema, name)
            if has_shop:
                cur.execute(sql.SQL("select distinct shop_domain::text from {}").format(ident))
                seen[f"{schema}.{name}"] = {r[0] for r in cur.fetchall()}
            else:
                cur.execute(sql.SQL("select count(*) from {}").format(ident))
                seen[f"{schema}.{name}"] = cur.fetchone()[0]
        for schema, fn, types in functions:
            key = f"{schema}.{fn}({', '.join(types)})"
            dates = iter(DATE_ARGUMENTS)
            args = [foreign if t == "text" else next(dates) if t == "date" else None for t in types]
            call = sql.SQL("select * from {}({})").format(
                sql.Identifier(schema, fn), sql.SQL(", ").join(sql.Placeholder() * len(args))
            )
            cur.execute(call, args)
            columns = [d[0] for d in cur.description]
            if "shop_domain" in columns:
                i = columns.index("shop_domain")
                seen[key] = {str(r[i]) for r in cur.fetchall()}
            elif columns == [fn]:
                seen[key] = cur.fetchall()
    return seen


def assert_only(seen: dict[str, object], allowed: set[str], reference: dict[str, object]):
    """Shops seen are within `allowed` (+ platform rows when any shop is allowed); relations
    without shop_domain match what the reference session (gateway, same shops) sees."""
    permitted = allowed | ({PLATFORM} if allowed else set())
    leaks = {k: v - permitted for k, v in seen.items() if isinstance(v, set) and v - permitted}
    assert not leaks, leaks
    differ = {
        k: (v, reference[k])
        for k, v in seen.items()
        if not isinstance(v, set) and k in reference and v != reference[k]
    }
    assert not differ, differ


def gateway(url):
    """A PostgREST-style login: member of authenticator, noinherit (reads only after the role
    switch)."""
    return support.login_role(url, "t_gw", ("authenticator",), inherit=False)


@pytest.fixture(scope="module")
def catalog(built):
    relations = readable_relations(built)
    assert len(relations) >= 48, relations  # at least the contract views
    return relations, operator_functions(built)


@pytest.fixture(scope="module")
def references(built, shops, catalog) -> dict[frozenset, dict[str, object]]:
    """What the gateway sees with a claim for each shop set the tenants hold."""
    relations, functions = catalog
    a, b = shops[0], shops[1]
    out = {}
    with gateway(built) as conn, conn.cursor() as cur:
        cur.execute("set role operator")
        for mapped in ([a], [a, b], [b], []):
            support.set_claim(conn, {"shop_domain": mapped} if mapped else None)
            out[frozenset(mapped)] = scan(conn, relations, functions, shops[2])
    return out


def test_tenant_sees_its_shop_in_every_readable_relation_and_nothing_else(
    built, shops, tenants, catalog, references
):
    relations, functions = catalog
    role, password, mapped = tenants["a"]
    (a,), b = sorted(mapped), shops[1]
    with login(built, role, password) as conn:
        seen = scan(conn, relations, functions, b)
    assert_only(seen, {a}, references[frozenset([a])])
    # exactly what the gateway with claim A sees: nothing missing either
    assert seen == references[frozenset([a])]
    # the other shop has rows in the same relations, so seeing none of them means something
    other = references[frozenset([b])]
    assert sum(1 for v in other.values() if isinstance(v, set) and b in v) >= 20
    assert sum(1 for v in seen.values() if isinstance(v, set) and a in v) >= 20


@pytest.mark.parametrize(
    "attempt",
    [
        "select set_config('request.jwt.claims', %(claim)s, false)",
        "set request.jwt.claims = %(claim)s",
        "set role operator",
        "reset role",
        "select security.claimed_shops()",
    ],
)
def test_no_widening_by_settings_role_switches_or_function_calls(
    built, shops, tenants, catalog, references, attempt
):
    relations, functions = catalog
    role, password, _ = tenants["a"]
    a, b = shops[0], shops[1]
    claim = json.dumps({"shop_domain": [a, b, shops[2]], "role": "service_role"})
    with login(built, role, password) as conn, conn.cursor() as cur:
        cur.execute(attempt, {"claim": claim})
        cur.execute("select set_config('request.jwt.claims', %s, false)", (claim,))
        cur.execute("select security.claimed_shops()")
        assert cur.fetchone()[0] == [a]
        seen = scan(conn, relations, functions, b)
    assert seen == references[frozenset([a])]


def test_no_role_switch_no_ddl_no_writes_no_hidden_schemas(built, shops, tenants, catalog):
    relations, _ = catalog
    role, password, _ = tenants["a"]
    refused = [
        "set role service_role",
        "set role authenticator",
        "set session authorization postgres",
        "create function marts.widen() returns text[] language sql security definer"
        " as 'select array[''x'']'",
        "create function public.widen() returns int language sql as 'select 1'",
        "create temp table t (i int)",
        "select * from security.tenant_shops",
        f"insert into security.tenant_shops values ('{role}', 'x', now(), 'me')",
        "alter role current_user reset log_statement",
        "select security.secure_schema('marts', '{}')",
    ]
    with login(built, role, password) as conn, conn.cursor() as cur:
        for statement in refused:
            with pytest.raises((errors.InsufficientPrivilege, errors.UndefinedObject)):
                cur.execute(statement)
        for schema, name, _ in relations:
            ident = sql.Identifier(schema, name)
            for write in (
                "insert into {} default values",
                "delete from {}",
                "update {} set shop_domain = shop_domain",
                "truncate {}",
            ):
                refused = (errors.InsufficientPrivilege, errors.UndefinedColumn)
                if write.startswith("truncate"):  # a view cannot be truncated by anyone
                    refused = (*refused, errors.WrongObjectType)
                with pytest.raises(refused):
                    cur.execute(sql.SQL(write).format(ident))
        hidden = [(s, n) for s in HIDDEN_SCHEMAS for n, _ in support.relations(conn, s)]
        assert len(hidden) > 20
        for schema, name in hidden:
            with pytest.raises(errors.InsufficientPrivilege):
                cur.execute(
                    sql.SQL("select 1 from {} limit 1").format(sql.Identifier(schema, name))
                )


def test_two_shops_one_role_and_a_role_without_mapping(built, shops, tenants, catalog, references):
    relations, functions = catalog
    a, b, c = shops[0], shops[1], shops[2]
    role, password, mapped = tenants["ab"]
    assert mapped == {a, b}
    with login(built, role, password) as conn:
        support.set_claim(conn, {"shop_domain": c})
        seen = scan(conn, relations, functions, c)
    assert_only(seen, {a, b}, references[frozenset([a, b])])
    assert seen == references[frozenset([a, b])]
    role, password, mapped = tenants["none"]
    assert mapped == set()
    with login(built, role, password) as conn:
        support.set_claim(conn, {"shop_domain": a})
        seen = scan(conn, relations, functions, a)
    assert all(not v for v in seen.values() if isinstance(v, (set, int))), seen
    assert seen == references[frozenset()]


def test_gateway_honours_the_claim_and_refuses_without_one(built, shops):
    a, b = shops[0], shops[1]
    with gateway(built) as conn, conn.cursor() as cur:
        with pytest.raises(errors.InsufficientPrivilege):
            cur.execute("select count(*) from marts.v_export_customer_segments")  # no switch
        cur.execute("begin")
        cur.execute("set local role operator")
        cur.execute("select count(*) from marts.v_export_customer_segments")
        assert cur.fetchone()[0] == 0  # no claim: nothing
        cur.execute(
            "select set_config('request.jwt.claims', %s, true)",
            (json.dumps({"role": "operator", "shop_domain": b}),),
        )
        cur.execute("select distinct shop_domain from marts.v_export_customer_segments")
        assert cur.fetchall() == [(b,)]
        cur.execute("commit")
        cur.execute("set role operator")
        cur.execute("select count(*) from marts.v_export_customer_segments")
        assert cur.fetchone()[0] == 0  # the transaction-local claim is gone
    del a


def test_access_audit_records_the_tenants_reads(built, shops):
    conn = connect(built)
    role = f"t_{uuid.uuid4().hex[:8]}_audit"
    password = grants.grant(conn, role, shops[:2], ACTOR)
    try:
        with login(built, role, password) as tenant, tenant.cursor() as cur:
            for _ in range(3):
                cur.execute("select * from marts.v_sales_pulse_current")
            cur.execute("select count(*) from marts.v_export_customer_segments where 'x' = 'x'")
            with pytest.raises(errors.InsufficientPrivilege):
                cur.execute("select * from raw_shopify.customers")  # refused: not a read
        deadline = time.monotonic() + 30
        while True:  # the log collector writes asynchronously
            ingest.ingest(conn)
            with conn.cursor() as cur:
                cur.execute(
                    "select relation_name, reads, pii from raw_app.v_access_audit_7d"
                    " where role_name = %s",
                    (role,),
                )
                rows = {r[0]: (r[1], r[2]) for r in cur.fetchall()}
            conn.commit()
            if rows.get("marts.v_export_customer_segments") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert rows["marts.v_sales_pulse_current"] == (3, False)
        assert rows["marts.v_export_customer_segments"] == (1, True)
        before = sum(r[0] for r in rows.values())
        ingest.ingest(conn)  # a rerun lands nothing twice
        with conn.cursor() as cur:
            cur.execute(
                "select sum(reads) from raw_app.v_access_audit_7d where role_name = %s", (role,)
            )
            assert cur.fetchone()[0] == before
            cur.execute("select action from raw_app.access_grant_log where role_name = %s", (role,))
            assert [r[0] for r in cur.fetchall()][:2] == ["create_role", "grant"]
            cur.execute(
                "select count(*) from raw_app.access_audit_log where role_name = %s"
                " and relation_name like 'raw%%'",
                (role,),
            )
            assert cur.fetchone()[0] == 0
        conn.commit()
    finally:
        grants.revoke(conn, role, [], ACTOR)
        conn.close()


def _password_verifies(url, role: str, password: str) -> bool:
    """The role's stored SCRAM-SHA-256 verifier accepts the password (the embedded server trusts
    local connections, so logging in proves nothing about the password)."""
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("select rolpassword from pg_authid where rolname = %s", (role,))
        verifier = cur.fetchone()[0]
    conn.close()
    method, params, keys = verifier.split("$")
    iterations, salt = params.split(":")
    stored_key = keys.split(":")[0]
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    return method == "SCRAM-SHA-256" and (
        base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key
    )


def test_cli_grant_prints_the_password_once_list_and_revoke(built, shops, tmp_path):
    role = f"t_{uuid.uuid4().hex[:8]}_cli"
    env = {**os.environ, "HOTROD_DATABASE_URL": built.url, "HOTROD_HOME": str(tmp_path)}

    def hotrod(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [HOTROD, "access", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=support._default_signals,  # noqa: PLW1509 - see support.dbt
            check=False,
        )

    made = hotrod("grant", role, shops[0])
    try:
        assert made.returncode == 0, made.stderr
        password = made.stdout.rsplit(": ", 1)[-1].strip()
        assert len(password) >= 24
        assert _password_verifies(built, role, password)
        assert not _password_verifies(built, role, password[:-1] + "?")
        with login(built, role, password) as conn, conn.cursor() as cur:
            cur.execute("select security.claimed_shops()")
            assert cur.fetchone()[0] == [shops[0]]
        again = hotrod("grant", role, shops[1])  # an existing role: no new password
        assert again.returncode == 0 and password not in again.stdout
        assert "password" not in again.stdout
        listed = hotrod("list")
        assert f"{role}\t{shops[0]}" in listed.stdout and f"{role}\t{shops[1]}" in listed.stdout
        assert password not in listed.stdout
        bad = hotrod("grant", "operator", shops[0])
        assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    finally:
        gone = hotrod("revoke", role)
    assert gone.returncode == 0 and "role dropped" in gone.stdout, gone.stderr
    conn = connect(built, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("select count(*) from pg_roles where rolname = %s", (role,))
        assert cur.fetchone()[0] == 0
        cur.execute(
            "select action from raw_app.access_grant_log where role_name = %s order by grant_id",
            (role,),
        )
        actions = [r[0] for r in cur.fetchall()]
        assert actions == ["create_role", "grant", "grant", "revoke", "drop_role"]
        # the password is nowhere in the warehouse
        assert support.scan(built, [password]) == []
    conn.close()


def test_retention_leaves_no_live_decision_older_than_180_days(built, monkeypatch):
    from orchestration.defs.maintenance import retention_job
    from orchestration.defs.resources import WarehouseResource
    from orchestration.pipeline import _archived_decisions_in_marts

    old = (
        "select count(*) from raw_app.decision_log"
        " where coalesce((payload ->> 'created_at')::timestamptz, updated_at)"
        " < now() - interval '180 days'"
    )
    conn = connect(built, autocommit=True)
    with conn.cursor() as cur:
        cur.execute(old)
        live_before = cur.fetchone()[0]
        cur.execute("select count(*) from raw_app.decision_log_archive")
        archived_before = cur.fetchone()[0]
    assert live_before > 0  # the sandbox has decisions older than the retention
    monkeypatch.setenv("HOTROD_DATABASE_URL", built.url)
    result = retention_job.execute_in_process(resources={"warehouse": WarehouseResource()})
    assert result.success
    # the marts built before still hold them: `hotrod run` then rebuilds the decision marts
    assert _archived_decisions_in_marts(built)
    with conn.cursor() as cur:
        cur.execute(old)
        assert cur.fetchone()[0] == 0
        cur.execute("select count(*) from raw_app.decision_log_archive")
        assert cur.fetchone()[0] == archived_before + live_before
        # archived rows stay exportable
        cur.execute(
            "select count(*) from marts.export_audit_logs('2000-01-01', '2100-01-01')"
            " where is_archived"
        )
        assert cur.fetchone()[0] == archived_before + live_before
    conn.close()
