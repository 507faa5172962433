"""Helpers for the security tests: an operator login, a PII scan, a small hand-made warehouse."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from warehouse.connection import connect
from warehouse.dbt_invocation import DBT_PROJECT_DIR, dbt_env, dbt_executable
from warehouse.settings import REPO_ROOT, DatabaseUrl

SHOPS = (
    "hot-rod-an.sandbox.test",
    "speedway-classics.sandbox.test",
    "maple-street-rods.sandbox.test",
)
SYSTEM = ("pg_catalog", "information_schema", "pg_toast")


@contextlib.contextmanager
def operator_login(url: DatabaseUrl) -> Iterator[psycopg2.extensions.connection]:
    """A throw-away gateway login (member of `operator` and of `authenticator`, so it may act on
    `request.jwt.claims` as PostgREST does), connected; dropped afterwards."""
    with login_role(url, "t_operator", ("operator", "authenticator")) as conn:
        yield conn


@contextlib.contextmanager
def login_role(
    url: DatabaseUrl, prefix: str, member_of: tuple[str, ...], inherit: bool = True
) -> Iterator[psycopg2.extensions.connection]:
    """A throw-away login role, member of `member_of`, connected; dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = connect(url, autocommit=True)
    with admin.cursor() as cur:
        cur.execute(
            sql.SQL("create role {} login {} in role {}").format(
                sql.Identifier(name),
                sql.SQL("inherit" if inherit else "noinherit"),
                sql.SQL(", ").join(sql.Identifier(r) for r in member_of),
            )
        )
    conn = psycopg2.connect(connect_timeout=10, **{**url.connect_kwargs(), "user": name})
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()
        with admin.cursor() as cur:
            cur.execute(sql.SQL("drop owned by {}").format(sql.Identifier(name)))
            cur.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))
        admin.close()


# Build the relations only: the data and unit tests belong to the dbt suites, and a failing one
# there must not hide what the security tests prove.
BUILD = ["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]


@contextlib.contextmanager
def sandbox_marts(templates, store, name: str, workdir: str) -> Iterator[DatabaseUrl]:
    """A new warehouse `name_<unique>`: the sandbox store landed raw, `dbt build` (its target in
    workdir/target); dropped afterwards. Built once per session and store (a template of
    tests/support/warehouse_templates.py), copied for each module."""
    from tests.support.raw_loader import load_store

    def build(url: DatabaseUrl, target) -> None:
        load_store(url, store, batch_id="sandbox-1")
        result = dbt(url, [*BUILD, "--quiet"], str(target.parent))
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]

    key = f"relations only (dbt build without tests) on {store.cached_path.name}"
    target = os.path.join(workdir, "target")
    with templates.copy(key, build, name, Path(target)) as url:
        yield url


def set_claim(conn: psycopg2.extensions.connection, claims: dict | None) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "select set_config('request.jwt.claims', %s, false)",
            (json.dumps(claims) if claims is not None else "",),
        )


def relations(conn: psycopg2.extensions.connection, schema: str) -> list[tuple[str, str]]:
    """(name, relkind) of every table, view and materialized view of a schema."""
    with conn.cursor() as cur:
        cur.execute(
            """
            select c.relname, c.relkind
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm') order by c.relname
            """,
            (schema,),
        )
        return cur.fetchall()


def scan(url: DatabaseUrl, needles: list[str]) -> list[tuple[str, str, str]]:
    """Every (relation, column, needle) where a text/json column of any relation holds a needle."""
    hits: list[tuple[str, str, str]] = []
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(
                """
                select n.nspname, c.relname, a.attname
                from pg_class c
                join pg_namespace n on n.oid = c.relnamespace
                join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                where c.relkind in ('r', 'p', 'v', 'm') and n.nspname <> all(%s)
                  and n.nspname not like 'pg\\_%%'
                  and format_type(a.atttypid, null)
                      in ('text', 'character varying', 'character', 'json', 'jsonb')
                order by 1, 2, 3
                """,
                (list(SYSTEM),),
            )
            columns = cur.fetchall()
            for schema, table, column in columns:
                for needle in needles:
                    cur.execute(
                        sql.SQL("select exists (select 1 from {} where {}::text ilike %s)").format(
                            sql.Identifier(schema, table), sql.Identifier(column)
                        ),
                        (f"%{needle}%",),
                    )
                    if cur.fetchone()[0]:
                        hits.append((f"{schema}.{table}", column, needle))
    finally:
        conn.close()
    return hits


# --- a small hand-made warehouse: raw rows in the contract's shapes, for three shops ----------

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def customer(shop_index: int, n: int) -> dict:
    first, last = f"Ada{shop_index}{n}", f"Lovelace{shop_index}{n}"
    return {
        "id": f"gid://shopify/Customer/{shop_index}{n:03d}",
        "firstName": first,
        "lastName": last,
        "displayName": f"{first} {last}",
        "createdAt": "2025-01-01T00:00:00Z",
        "updatedAt": "2026-01-01T00:00:00Z",
        "tags": [],
        "state": "ENABLED",
        "verifiedEmail": True,
        "numberOfOrders": 1,
        "amountSpent": {"amount": "10.00", "currencyCode": "USD"},
        "defaultEmailAddress": {"emailAddress": f"ada{shop_index}{n}@example.com"},
        "defaultPhoneNumber": {"phoneNumber": f"+1555{shop_index}{n:06d}"},
        "defaultAddress": {
            "city": f"Springfield{shop_index}{n}",
            "provinceCode": "CA",
            "countryCode": "US",
            "zip": f"9{shop_index}{n:03d}",
        },
    }


def order(shop_index: int, n: int, customer_gid: str | None) -> dict:
    return {
        "id": f"gid://shopify/Order/{shop_index}{n:04d}",
        "name": f"#{1000 + n}",
        "createdAt": "2026-02-01T10:00:00Z",
        "updatedAt": "2026-02-02T10:00:00Z",
        "test": False,
        "cancelledAt": None,
        "totalPriceSet": {"shopMoney": {"amount": "10.00", "currencyCode": "USD"}},
        "customer": {"id": customer_gid} if customer_gid else None,
        "shippingAddress": {"provinceCode": "CA", "countryCode": "US"},
        "lineItems": [{"id": f"gid://shopify/LineItem/{n}", "sku": "CARB-1", "quantity": 1}],
    }


def contact(shop_index: int, n: int, cust: dict) -> dict:
    return {
        "id": int(f"{shop_index}{n:03d}"),
        "name": cust["displayName"],
        "email": cust["defaultEmailAddress"]["emailAddress"],
        "phone_number": cust["defaultPhoneNumber"]["phoneNumber"],
        "identifier": None,
        "created_at": 1767225600,
        "last_activity_at": 1767225600,
        "custom_attributes": {"shopify_customer_id": cust["id"].rsplit("/", 1)[-1]},
    }


def conversation(shop_index: int, n: int, cont: dict) -> dict:
    return {
        "id": int(f"{shop_index}{n:03d}"),
        "status": "open",
        "created_at": 1767225600,
        "updated_at": 1767229200,
        "meta": {
            "sender": {
                "id": cont["id"],
                "name": cont["name"],
                "email": cont["email"],
                "phone_number": cont["phone_number"],
            },
            "assignee": {"id": 7, "name": "Agent Smith", "email": "agent@hotrod.example"},
        },
    }


def messages(shop_index: int, n: int, conv: dict, cont: dict) -> list[dict]:
    return [
        {
            "id": int(f"{shop_index}{n:03d}1"),
            "conversation_id": conv["id"],
            "content": f"Hi, this is {cont['name']}, call me on {cont['phone_number']}",
            "message_type": 0,
            "private": False,
            "created_at": 1767225600,
            "sender_type": "Contact",
            "sender_id": cont["id"],
        },
        {
            "id": int(f"{shop_index}{n:03d}2"),
            "conversation_id": conv["id"],
            "content": f"Hello {cont['name']}, your carburetor ships today",
            "message_type": 1,
            "private": False,
            "created_at": 1767229200,
            "sender_type": "User",
            "sender_id": 7,
        },
    ]


def csat_response(shop_index: int, n: int, conv: dict, cont: dict) -> dict:
    """A CSAT survey response as Chatwoot lists it: the contact nested, the customer's words."""
    return {
        "id": int(f"{shop_index}{n:03d}"),
        "rating": 2,
        "feedback_message": f"{cont['name']} here, still waiting, call {cont['phone_number']}",
        "account_id": shop_index,
        "message_id": int(f"{shop_index}{n:03d}9"),
        "contact": cont,
        "conversation_id": conv["id"],
        "assigned_agent": {"id": 7, "name": "Agent Smith", "email": "agent@hotrod.example"},
        "created_at": 1767232800,
    }


def raw_rows(customers_per_shop: int = 3) -> dict[str, list[tuple[str, str, str, dict]]]:
    """table -> (shop, id, updated_at, payload) rows for three shops."""
    out: dict[str, list[tuple[str, str, str, dict]]] = {}

    def add(table: str, shop: str, row_id: object, doc: dict) -> None:
        out.setdefault(table, []).append((shop, str(row_id), NOW.isoformat(), doc))

    for i, shop in enumerate(SHOPS, start=1):
        add("raw_shopify.shops", shop, f"gid://shopify/Shop/{i}", {"myshopifyDomain": shop})
        add("raw_app.shops", shop, shop, {"shop_domain": shop, "plan": "basic"})
        for n in range(customers_per_shop):
            cust = customer(i, n)
            cont = contact(i, n, cust)
            conv = conversation(i, n, cont)
            add("raw_shopify.customers", shop, cust["id"], cust)
            add(
                "raw_shopify.orders",
                shop,
                f"gid://shopify/Order/{i}{n:04d}",
                order(i, n, cust["id"]),
            )
            add("raw_chatwoot.contacts", shop, cont["id"], cont)
            add("raw_chatwoot.conversations", shop, conv["id"], conv)
            for message in messages(i, n, conv, cont):
                add("raw_chatwoot.messages", shop, message["id"], message)
            response = csat_response(i, n, conv, cont)
            add("raw_chatwoot.csat_survey_responses", shop, response["id"], response)
    return out


def land(url: DatabaseUrl, rows: dict[str, list[tuple[str, str, str, dict]]], batch: str) -> None:
    """Upsert like the extractors do (newer or different payload wins)."""
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            for table, items in rows.items():
                schema, name = table.split(".")
                for shop, row_id, updated_at, doc in items:
                    cur.execute(
                        sql.SQL(
                            """
                            insert into {} as t (shop_domain, id, updated_at, payload, batch_id)
                            values (%s, %s, %s, %s, %s)
                            on conflict (shop_domain, id) do update set
                                payload = excluded.payload, updated_at = excluded.updated_at,
                                batch_id = excluded.batch_id
                            where excluded.updated_at > t.updated_at
                               or excluded.payload is distinct from t.payload
                            """
                        ).format(sql.Identifier(schema, name)),
                        (shop, row_id, updated_at, json.dumps(doc), batch),
                    )
    finally:
        conn.close()


def later(days: int = 1) -> str:
    return (NOW + timedelta(days=days)).isoformat()


def _default_signals() -> None:  # pragma: no cover - runs in the child
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def dbt(url: DatabaseUrl, args: list[str], workdir: str) -> subprocess.CompletedProcess:
    """Run dbt on the project against `url`, with this test's own target and log folders."""
    env = dbt_env(url, target_path=os.path.join(workdir, "target"))
    exe = dbt_executable()
    return subprocess.run(
        [exe, *args],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=_default_signals,  # noqa: PLW1509 - background shells ignore SIGINT/SIGTERM
        check=False,
    )


def seed_names() -> set[str]:
    """The reference seeds (no shop data): the only mart relations without shop_domain."""
    return {path.stem for path in (REPO_ROOT / "seeds").glob("*.csv")}


def query(url: DatabaseUrl, statement: str, args: tuple = ()) -> list[tuple]:
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(statement, args)
            return cur.fetchall()
    finally:
        conn.close()
