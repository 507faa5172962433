"""`hotrod privacy ...` — GDPR actions by hand, and processing of pending privacy webhooks."""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable

from warehouse.connection import connection, resolve
from warehouse.privacy import audit, exports, process, redact


def _one_line_errors(handler: Callable[[argparse.Namespace], int]):
    """Bad input (an id that is not one) is a one-line error, not a traceback."""

    @functools.wraps(handler)
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except ValueError as exc:
            print(f"hotrod: error: {exc}", file=sys.stderr)
            return 2

    return wrapped


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("privacy", help="GDPR exports and redactions (audited)")
    commands = parser.add_subparsers(dest="privacy_command", required=True, metavar="ACTION")

    run = commands.add_parser("process", help="act on pending privacy webhooks")
    run.add_argument("--limit", type=int, default=None, help="at most this many deliveries")
    run.set_defaults(handler=_one_line_errors(_process))

    export = commands.add_parser("export", help="export everything held about a customer")
    export.add_argument("shop", help="shop domain, e.g. hot-rod-an.myshopify.com")
    export.add_argument("customer", help="Shopify customer id (number or gid)")
    export.set_defaults(handler=_one_line_errors(_export))

    customer = commands.add_parser("redact-customer", help="remove a customer's PII for good")
    customer.add_argument("shop")
    customer.add_argument("customer", help="Shopify customer id (number or gid)")
    customer.add_argument("--email", action="append", default=[], help="also match this e-mail")
    customer.add_argument("--phone", action="append", default=[], help="also match this phone")
    customer.set_defaults(handler=_one_line_errors(_redact_customer))

    shop = commands.add_parser("redact-shop", help="delete every row of a shop, everywhere")
    shop.add_argument("shop")
    shop.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    shop.set_defaults(handler=_one_line_errors(_redact_shop))

    log = commands.add_parser("audit", help="show the latest privacy actions")
    log.add_argument("--limit", type=int, default=20)
    log.set_defaults(handler=_one_line_errors(_audit))


def _process(args: argparse.Namespace) -> int:
    outcomes = process.process_url(resolve(), args.limit)
    for outcome in outcomes:
        print(f"{outcome.status:6} {outcome.topic:24} {outcome.delivery_id}  {outcome.detail}")
    print(f"{len(outcomes)} privacy deliveries handled")
    return 1 if any(o.status == "failed" for o in outcomes) else 0


def _export(args: argparse.Namespace) -> int:
    with connection(resolve()) as conn:
        path, counts = exports.export_customer(conn, args.shop, args.customer, audit.cli_actor())
    print(f"export written to {path} ({sum(counts.values())} records)")
    return 0


def _redact_customer(args: argparse.Namespace) -> int:
    with connection(resolve()) as conn:
        counts = redact.redact_customer(
            conn,
            args.shop,
            args.customer,
            audit.cli_actor(),
            tuple(args.email),
            tuple(args.phone),
        )
    print(json.dumps(counts, indent=2, sort_keys=True))
    return 0


def _redact_shop(args: argparse.Namespace) -> int:
    if not args.yes:
        print("hotrod: error: redact-shop deletes all of the shop's data: add --yes to confirm")
        return 2
    with connection(resolve()) as conn:
        counts = redact.redact_shop(conn, args.shop, audit.cli_actor())
    print(f"shop removed: {sum(counts.values())} rows deleted in {len(counts)} tables")
    return 0


def _audit(args: argparse.Namespace) -> int:
    with connection(resolve()) as conn, conn.cursor() as cur:
        rows = audit.recent(cur, args.limit)
    for row in rows:
        print(json.dumps(row, default=str, sort_keys=True))
    return 0
