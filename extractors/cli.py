"""`hotrod extract ...`, `hotrod webhooks serve|register` (configured by environment only)."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import timedelta

from extractors.errors import ExtractError
from extractors.ledger import LedgerRow

log = logging.getLogger(__name__)

MAX_LOOKBACK_MINUTES = 7 * 24 * 60


def register(subparsers: argparse._SubParsersAction) -> None:
    extract = subparsers.add_parser(
        "extract", help="land Shopify / Chatwoot / app API records into the raw tables"
    )
    extract.add_argument("source", choices=("shopify", "chatwoot", "app", "ga4", "all"))
    extract.add_argument("--entity", help="only this entity (e.g. orders)")
    extract.add_argument("--full", action="store_true", help="reload everything (bulk)")
    extract.add_argument("--since", help="ISO timestamp: read changes since then")
    extract.add_argument(
        "--lookback-minutes", type=int, default=60, help="re-read window before the cursor"
    )
    extract.add_argument("--quiet", action="store_true", help="no progress lines")
    extract.set_defaults(handler=_extract)

    webhooks = subparsers.add_parser("webhooks", help="webhook receiver")
    sub = webhooks.add_subparsers(dest="webhooks_command", required=True)
    serve = sub.add_parser("serve", help="receive Shopify and Chatwoot webhooks")
    serve.add_argument("--port", type=int, default=8770)
    serve.add_argument("--host", default="127.0.0.1")
    serve.set_defaults(handler=_serve)
    reg = sub.add_parser(
        "register",
        help="subscribe the receiver to every handled Shopify topic and Chatwoot event",
    )
    reg.add_argument("--url", help="the receiver's public base URL (default HOTROD_WEBHOOK_URL)")
    reg.add_argument("--dry-run", action="store_true", help="print what would be created")
    reg.set_defaults(handler=_register)


def _extract(args: argparse.Namespace) -> int:
    from extractors import run, settings
    from extractors.records import parse_timestamp
    from warehouse.connection import resolve

    try:
        if not 0 <= args.lookback_minutes <= MAX_LOOKBACK_MINUTES:
            raise ExtractError(
                f"--lookback-minutes must be between 0 and {MAX_LOOKBACK_MINUTES} (a week), "
                f"got {args.lookback_minutes}; use --since or --full to re-read further back"
            )
        if args.since:
            parse_timestamp(args.since)
        cfg = settings.from_env()
        url = resolve()
        opts = run.RunOptions(
            full=args.full,
            since=args.since,
            lookback=timedelta(minutes=args.lookback_minutes),
            progress=not args.quiet,
        )
        if args.entity:
            if args.source == "all":
                raise ExtractError("--entity needs a source (shopify, chatwoot or app)")
            rows = run.extract_entity(url, cfg, args.source, args.entity, options=opts)
        elif args.source == "all":
            rows = run.extract_all(url, cfg, opts)
        else:
            rows = run.extract_source(url, cfg, args.source, opts)
    except (ExtractError, ValueError) as exc:
        print(f"hotrod: error: {exc}", file=sys.stderr)
        return 2
    _summary(rows)
    return 0


def _summary(rows: list[LedgerRow]) -> None:
    total = sum(r.rows_read for r in rows)
    seconds = sum(r.duration_s or 0 for r in rows)
    for r in rows:
        print(
            f"{r.source:9} {r.shop_domain:34} {r.entity:17} {r.mode:11} read {r.rows_read:>8,} "
            f"new {r.rows_inserted:>8,} updated {r.rows_updated:>7,} "
            f"quarantined {r.rows_quarantined:>4,} calls {r.api_calls:>6,} "
            f"p95 {r.latency_p95_ms or 0:>7.1f} ms"
        )
    rate = total / seconds if seconds else 0.0
    print(f"total: {total:,} records in {seconds:.1f}s ({rate:,.0f} records/s)")


def _serve(args: argparse.Namespace) -> int:
    from extractors import settings
    from extractors.webhooks.server import make_server
    from warehouse.connection import resolve

    try:
        cfg = settings.from_env().webhooks()
    except ExtractError as exc:
        print(f"hotrod: error: {exc}", file=sys.stderr)
        return 2
    try:
        server, receiver = make_server(resolve(), cfg, args.port, args.host)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(
            f"hotrod: error: cannot listen on {args.host}:{args.port}: {reason} "
            "(stop what uses the port or pass another --port)",
            file=sys.stderr,
        )
        return 2
    if not cfg.shopify_secret:
        print(
            "hotrod: warning: SHOPIFY_WEBHOOK_SECRET is not set: Shopify deliveries get 503",
            file=sys.stderr,
        )
    if cfg.shopify is None:
        print(
            "hotrod: warning: SHOPIFY_SHOP / SHOPIFY_ACCESS_TOKEN not set: Shopify deliveries are "
            "stored and wait until the receiver can fetch the records they name",
            file=sys.stderr,
        )
    host, port = server.server_address[:2]
    print(
        f"webhooks: listening on http://{host}:{port}/webhooks/{{shopify,chatwoot}}",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        receiver.close()
    return 0


def _register(args: argparse.Namespace) -> int:
    import os

    from extractors import register, settings

    receiver = args.url or os.environ.get("HOTROD_WEBHOOK_URL", "")
    try:
        if not receiver:
            raise ExtractError(
                "HOTROD_WEBHOOK_URL is not set: the receiver's public base URL, e.g. "
                "https://hooks.example.com (or pass --url)"
            )
        steps = register.register(
            settings.from_env(),
            receiver,
            dry_run=args.dry_run,
            report=lambda step: print(step.line(), flush=True),
        )
    except ExtractError as exc:
        print(f"hotrod: error: {exc}", file=sys.stderr)
        return 2
    created = sum(s.status == "created" for s in steps)
    planned = sum(s.status == "would create" for s in steps)
    existing = sum(s.status == "exists" for s in steps)
    verb = f"{planned} to create (dry run)" if args.dry_run else f"{created} created"
    print(f"webhooks: {verb}, {existing} already registered")
    return 0
