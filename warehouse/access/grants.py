"""Tenant login roles mapped to shops: create, map, unmap, drop, list. Every change is logged.

A tenant role is a LOGIN role, member of ``operator``, whose reads are limited to the shops
mapped to it in ``security.tenant_shops`` (migration 0006). Its password is generated here,
returned once to the caller (the CLI prints it) and never stored or logged. Statement logging is
switched on for it so the access audit sees its reads.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import psycopg2.extensions
from psycopg2 import sql

# Lower-case identifiers only: no quoting surprises in BI tools' connection strings.
ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{2,62}$")
RESERVED = {"operator", "service_role", "authenticator", "postgres", "public"}
GATEWAY_ROLE = "authenticator"
# Role-level settings that make the server log every statement of the role (docs/security.md).
AUDIT_SETTINGS = {"log_statement": "all"}


@dataclass(frozen=True)
class Mapping:
    role_name: str
    shop_domain: str
    granted_by: str


def check_role_name(name: str) -> str:
    if not ROLE_NAME.match(name) or name in RESERVED or name.startswith("pg_"):
        raise ValueError(
            f"role name {name!r} is not allowed: use 3-63 of a-z, 0-9, _ starting with a letter"
            " (not operator, service_role, authenticator or pg_*)"
        )
    return name


def new_password() -> str:
    return secrets.token_urlsafe(24)


def scram_verifier(password: str, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier Postgres stores (RFC 5802/7677), computed here so the plain
    password never reaches the server, nor its log should the statement fail."""
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def _role(cur: psycopg2.extensions.cursor, name: str) -> tuple[bool, bool] | None:
    """(can log in, member of operator) of an existing role, None when there is none."""
    cur.execute(
        "select r.rolcanlogin, pg_has_role(r.oid, 'operator', 'MEMBER') and not r.rolsuper"
        " from pg_roles r where r.rolname = %s",
        (name,),
    )
    row = cur.fetchone()
    return None if row is None else (bool(row[0]), bool(row[1]))


def _log(cur, actor: str, action: str, role: str, shops: list[str]) -> None:
    cur.execute(
        "insert into raw_app.access_grant_log (actor, action, role_name, shops)"
        " values (%s, %s, %s, %s)",
        (actor, action, role, shops),
    )


def enable_statement_audit(cur: psycopg2.extensions.cursor, role: str) -> None:
    for name, value in AUDIT_SETTINGS.items():
        cur.execute(
            sql.SQL("alter role {} set {} = {}").format(
                sql.Identifier(role), sql.Identifier(name), sql.Literal(value)
            )
        )


def grant(
    conn: psycopg2.extensions.connection, role: str, shops: list[str], actor: str
) -> str | None:
    """Map shops to a tenant role, creating it when missing. Returns the new role's password
    (None when the role existed). One transaction."""
    check_role_name(role)
    shops = sorted({s.strip().lower() for s in shops if s.strip()})
    if not shops:
        raise ValueError("name at least one shop domain, e.g. hot-rod-an.myshopify.com")
    password = None
    with conn, conn.cursor() as cur:
        existing = _role(cur, role)
        if existing is None:
            password = new_password()
            cur.execute(
                sql.SQL("create role {} login password {} in role operator").format(
                    sql.Identifier(role), sql.Literal(scram_verifier(password))
                )
            )
            enable_statement_audit(cur, role)
            _log(cur, actor, "create_role", role, [])
        elif not existing[1]:
            raise ValueError(
                f"role {role!r} exists and is not a tenant role (member of operator, not a"
                " superuser): choose another name"
            )
        cur.executemany(
            "insert into security.tenant_shops (role_name, shop_domain, granted_by)"
            " values (%s, %s, %s) on conflict do nothing",
            [(role, shop, actor) for shop in shops],
        )
        _log(cur, actor, "grant", role, shops)
    return password


def revoke(
    conn: psycopg2.extensions.connection, role: str, shops: list[str], actor: str
) -> tuple[int, bool]:
    """Unmap shops (all of them when none is named, and then drop the login role).
    Returns (mappings removed, role dropped)."""
    check_role_name(role)
    shops = sorted({s.strip().lower() for s in shops if s.strip()})
    with conn, conn.cursor() as cur:
        if shops:
            cur.execute(
                "delete from security.tenant_shops where role_name = %s and shop_domain = any(%s)",
                (role, shops),
            )
            removed = cur.rowcount
            _log(cur, actor, "revoke", role, shops)
            return removed, False
        cur.execute(
            "delete from security.tenant_shops where role_name = %s returning shop_domain",
            (role,),
        )
        gone = sorted(r[0] for r in cur.fetchall())
        _log(cur, actor, "revoke", role, gone)
        existing = _role(cur, role)
        dropped = False
        if existing is not None and existing[1]:
            cur.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
            cur.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))
            _log(cur, actor, "drop_role", role, [])
            dropped = True
        return len(gone), dropped


def mappings(conn: psycopg2.extensions.connection) -> list[Mapping]:
    with conn.cursor() as cur:
        cur.execute(
            "select role_name, shop_domain, granted_by from security.tenant_shops order by 1, 2"
        )
        return [Mapping(*row) for row in cur.fetchall()]


def gateway_password(conn: psycopg2.extensions.connection, actor: str) -> str:
    """Let the gateway role log in, with a new generated password (returned once)."""
    password = new_password()
    with conn, conn.cursor() as cur:
        cur.execute(
            sql.SQL("alter role {} login password {}").format(
                sql.Identifier(GATEWAY_ROLE), sql.Literal(scram_verifier(password))
            )
        )
        _log(cur, actor, "gateway_password", GATEWAY_ROLE, [])
    return password
