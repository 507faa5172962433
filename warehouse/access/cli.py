"""`hotrod access grant|revoke|list|gateway|audit` — who may read which shop, who read what."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable

import psycopg2.errors

from warehouse.access import grants, ingest
from warehouse.connection import connection, resolve
from warehouse.privacy.audit import cli_actor


def _one_line_errors(handler: Callable[[argparse.Namespace], int]):
    @functools.wraps(handler)
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except (ValueError, ingest.AccessLogError) as exc:
            print(f"hotrod: error: {exc}", file=sys.stderr)
            return 2
        except psycopg2.errors.InsufficientPrivilege as exc:
            first = str(exc).strip().splitlines()[0]
            print(
                f"hotrod: error: {first}: run `hotrod access` as a warehouse user that may create"
                " roles and set log_statement (docs/security.md)",
                file=sys.stderr,
            )
            return 2

    return wrapped


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "access", help="tenant logins mapped to shops, the gateway role, the access audit"
    )
    commands = parser.add_subparsers(dest="access_command", required=True, metavar="ACTION")

    grant = commands.add_parser(
        "grant", help="map shops to a tenant login role (created with a new password if missing)"
    )
    grant.add_argument("role", help="login role name, e.g. acme_bi")
    grant.add_argument("shops", nargs="+", help="shop domains, e.g. hot-rod-an.myshopify.com")
    grant.set_defaults(handler=_one_line_errors(_grant))

    revoke = commands.add_parser(
        "revoke", help="unmap shops; without shops: unmap all and drop the login role"
    )
    revoke.add_argument("role")
    revoke.add_argument("shops", nargs="*")
    revoke.set_defaults(handler=_one_line_errors(_revoke))

    listing = commands.add_parser("list", help="tenant roles and their shops")
    listing.set_defaults(handler=_one_line_errors(_list))

    gateway = commands.add_parser(
        "gateway", help="let the gateway role (authenticator) log in, with a new password"
    )
    gateway.set_defaults(handler=_one_line_errors(_gateway))

    audit = commands.add_parser(
        "audit", help="ingest the server log now and show v_access_audit_7d"
    )
    audit.set_defaults(handler=_one_line_errors(_audit))


def _grant(args: argparse.Namespace) -> int:
    with connection(resolve()) as conn:
        password = grants.grant(conn, args.role, args.shops, cli_actor())
    print(f"{args.role}: may read {', '.join(sorted(args.shops))}")
    if password is not None:
        print(f"new login role {args.role}, password (shown once, not stored): {password}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    with connection(resolve()) as conn:
        removed, dropped = grants.revoke(conn, args.role, args.shops, cli_actor())
    print(f"{args.role}: {removed} shop mapping(s) removed" + ("; role dropped" if dropped else ""))
    return 0


def _list(args: argparse.Namespace) -> int:
    with connection(resolve()) as conn:
        rows = grants.mappings(conn)
    for row in rows:
        print(f"{row.role_name}\t{row.shop_domain}\t{row.granted_by}")
    print(f"{len(rows)} mapping(s)")
    return 0


def _gateway(args: argparse.Namespace) -> int:
    with connection(resolve()) as conn:
        password = grants.gateway_password(conn, cli_actor())
    print(f"{grants.GATEWAY_ROLE} may log in; password (shown once, not stored): {password}")
    return 0


def _audit(args: argparse.Namespace) -> int:
    with connection(resolve()) as conn:
        counts = ingest.ingest(conn)
        with conn.cursor() as cur:
            cur.execute(
                "select role_name, relation_name, pii, reads, rows_read, last_read_at"
                " from raw_app.v_access_audit_7d order by role_name, relation_name"
            )
            rows = cur.fetchall()
    print(f"ingested {counts['reads']} read(s) from {counts['files']} log file(s)")
    for role, relation, pii, reads, rows_read, last in rows:
        flag = " PII" if pii else ""
        print(f"{role}\t{relation}{flag}\t{reads} read(s)\t{rows_read or '-'} row(s)\tlast {last}")
    return 0
