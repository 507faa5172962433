"""``hotrod sandbox serve | advance | send-webhooks`` (registered by sandbox/cli.py)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import Any

from sandbox.launch import extractor_env
from sandbox.server.app import Credentials
from sandbox.server.faults import DEFAULT_SCOPES, FaultConfig
from sandbox.store_args import add_store_arguments, open_store

TOKEN_ENV = {
    "shopify_token": "HOTROD_SANDBOX_SHOPIFY_TOKEN",
    "chatwoot_token": "HOTROD_SANDBOX_CHATWOOT_TOKEN",
    "app_token": "HOTROD_SANDBOX_APP_TOKEN",
    "ga4_token": "HOTROD_SANDBOX_GA4_TOKEN",
}
# the extractor setting each token is sent as
TOKEN_VARIABLE = {
    "shopify_token": "SHOPIFY_ACCESS_TOKEN",
    "chatwoot_token": "CHATWOOT_API_TOKEN",
    "app_token": "HOTROD_APP_API_TOKEN",
    "ga4_token": "GA4_ACCESS_TOKEN",
}
SECRET_ENV = {
    "shopify": "HOTROD_SANDBOX_SHOPIFY_WEBHOOK_SECRET",
    "chatwoot": "HOTROD_SANDBOX_CHATWOOT_WEBHOOK_SECRET",
}


def register_server_commands(actions: Any) -> None:
    """Add serve, advance and send-webhooks to the ``hotrod sandbox`` subparsers."""
    serve = actions.add_parser(
        "serve", help="serve the sandbox business over the Shopify, Chatwoot and app APIs"
    )
    add_store_arguments(serve)
    serve.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    serve.add_argument("--host", default="127.0.0.1")
    faults = serve.add_argument_group("fault injection (deterministic per --fault-seed)")
    faults.add_argument("--fault-seed", type=int, default=0)
    faults.add_argument("--delay-ms", type=int, default=0, help="delay every data request")
    faults.add_argument("--error-every", type=int, default=0, help="5xx on every N-th request")
    faults.add_argument("--error-rate", type=float, default=0.0, help="5xx with probability p")
    faults.add_argument("--error-status", type=int, default=503)
    faults.add_argument("--drop-at", type=int, default=0, help="close the socket on request k")
    faults.add_argument("--drop-every", action="store_true", help="...and every k-th after it")
    faults.add_argument("--throttle-every", type=int, default=0, help="throttle cycle length M")
    faults.add_argument("--throttle-burst", type=int, default=0, help="throttled requests K per M")
    faults.add_argument("--retry-after", type=float, default=1.0, help="Retry-After on REST 429")
    faults.add_argument("--malformed-rate", type=float, default=0.0, help="share of bad records")
    faults.add_argument(
        "--bulk-fail-after", type=int, default=0, help="first bulk op FAILs after N roots"
    )
    faults.add_argument(
        "--shopify-scopes",
        default=",".join(DEFAULT_SCOPES),
        help="access scopes granted to the app (without read_all_orders: 60 days of orders)",
    )
    faults.add_argument("--bucket-size", type=float, default=2000.0, help="Shopify cost bucket")
    faults.add_argument("--restore-rate", type=float, default=100.0, help="points per second")
    faults.add_argument("--max-query-cost", type=int, default=1000, help="single query limit")
    faults.add_argument(
        "--bulk-result-ttl",
        type=float,
        default=7 * 24 * 3600.0,
        help="seconds a bulk result URL lives after the operation ends (Shopify: 7 days)",
    )
    serve.set_defaults(handler=_serve)

    advance = actions.add_parser("advance", help="move a running sandbox's clock forward")
    advance.add_argument("--url", default="http://127.0.0.1:8765", help="the sandbox base URL")
    advance.add_argument("--days", type=int, default=1)
    advance.set_defaults(handler=_advance)

    hooks = actions.add_parser(
        "send-webhooks", help="deliver the sandbox's changes as signed webhooks to a receiver"
    )
    hooks.add_argument("--url", default="http://127.0.0.1:8765", help="the sandbox base URL")
    hooks.add_argument("--to", required=True, help="receiver base URL (gets /webhooks/<source>)")
    hooks.add_argument("--since", type=int, default=0, help="first change sequence to send")
    hooks.add_argument("--duplicates", type=int, default=0, help="re-send K deliveries")
    hooks.add_argument("--shuffle", action="store_true", help="deliver out of order")
    hooks.add_argument("--seed", type=int, default=0)
    hooks.add_argument("--unsigned-chatwoot", action="store_true", help="omit Chatwoot signatures")
    hooks.add_argument(
        "--privacy",
        action="store_true",
        help="also send customers/data_request, customers/redact and shop/redact",
    )
    hooks.add_argument("--max-attempts", type=int, default=3)
    hooks.set_defaults(handler=_send_webhooks)


def credentials_from_env() -> Credentials:
    defaults = Credentials()
    values = {name: os.environ.get(env, getattr(defaults, name)) for name, env in TOKEN_ENV.items()}
    return Credentials(**values)


def env_lines(base_url: str, shops: list[dict], credentials: Credentials) -> list[str]:
    """The variables an extractor needs; overridden tokens are referenced, never printed."""
    env = extractor_env(base_url, shops, credentials)
    defaults = Credentials()
    for name, variable in TOKEN_VARIABLE.items():
        if getattr(credentials, name) != getattr(defaults, name):
            env[variable] = f"${TOKEN_ENV[name]}"
    return [f"{name}={value}" for name, value in env.items()]


def _serve(args: argparse.Namespace) -> int:
    from sandbox.server.app import make_server
    from sandbox.server.schema import shopify_schema

    faults = FaultConfig(
        seed=args.fault_seed,
        delay_ms=args.delay_ms,
        error_every=args.error_every,
        error_rate=args.error_rate,
        error_status=args.error_status,
        drop_at=args.drop_at,
        drop_every=args.drop_every,
        throttle_every=args.throttle_every,
        throttle_burst=args.throttle_burst,
        retry_after=args.retry_after,
        malformed_rate=args.malformed_rate,
        bulk_fail_after=args.bulk_fail_after,
        access_scopes=tuple(s.strip() for s in args.shopify_scopes.split(",") if s.strip()),
        bucket_size=args.bucket_size,
        restore_rate=args.restore_rate,
        max_query_cost=args.max_query_cost,
        bulk_result_ttl_s=args.bulk_result_ttl,
    )
    print(
        f"sandbox: opening a business of {args.orders} orders (seed {args.seed})...",
        file=sys.stderr,
    )
    store = open_store(args, progress=True)
    shopify_schema()  # build (and cache) the schema before the first request
    credentials = credentials_from_env()
    try:
        httpd, sandbox = make_server(
            store, host=args.host, port=args.port, faults=faults, credentials=credentials
        )
    except OSError as exc:
        store.close()
        raise SystemExit(
            f"hotrod sandbox: cannot listen on {args.host}:{args.port} ({exc.strerror}); "
            "pick another --port (0 picks a free one)"
        ) from None
    print(
        f"sandbox: serving on {sandbox.base_url} (clock {store.now.isoformat()})", file=sys.stderr
    )
    for line in env_lines(sandbox.base_url, store.shops(), credentials):
        print(line)
    sys.stdout.flush()

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # stop cleanly (and remove the working copy) on TERM
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        print("sandbox: stopping", file=sys.stderr)
    finally:
        httpd.server_close()
        sandbox.close()
        store.close()
    return 0


def _advance(args: argparse.Namespace) -> int:
    import requests

    try:
        response = requests.post(
            f"{args.url.rstrip('/')}/_sandbox/advance", json={"days": args.days}, timeout=600
        )
    except requests.ConnectionError:
        print(
            f"sandbox: nothing answers at {args.url}; start `hotrod sandbox serve` first",
            file=sys.stderr,
        )
        return 2
    response.raise_for_status()
    print(json.dumps(response.json()))
    return 0


def _send_webhooks(args: argparse.Namespace) -> int:
    import requests

    from sandbox import webhook_sender as ws

    try:
        changes = ws.fetch_changes(args.url, args.since)
    except requests.ConnectionError:
        print(
            f"sandbox: nothing answers at {args.url}; start `hotrod sandbox serve` first",
            file=sys.stderr,
        )
        return 2
    deliveries = ws.build_deliveries(changes, seed=args.seed)
    if args.privacy:
        deliveries.extend(_privacy(args.url, args.seed))
    shopify_secret = os.environ.get(SECRET_ENV["shopify"], ws.DEFAULT_SHOPIFY_SECRET)
    chatwoot_secret = os.environ.get(SECRET_ENV["chatwoot"], ws.DEFAULT_CHATWOOT_SECRET)
    report = ws.send(
        deliveries,
        args.to,
        shopify_secret=shopify_secret,
        chatwoot_secret=None if args.unsigned_chatwoot else chatwoot_secret,
        duplicates=args.duplicates,
        shuffle=args.shuffle,
        seed=args.seed,
        max_attempts=args.max_attempts,
    )
    summary = {
        "changes": len(changes),
        "next_since": args.since + len(changes),
        "deliveries": len(deliveries),
        **report.as_json(),
    }
    print(json.dumps(summary))
    return 0 if report.failed == 0 else 1


def _privacy(url: str, seed: int) -> list[Any]:
    """Privacy deliveries for the first customer of the first shop (read over the sandbox API)."""
    import requests

    from sandbox import webhook_sender as ws

    config = requests.get(f"{url.rstrip('/')}/_sandbox/config", timeout=30).json()
    shop = config["shops"][0]["domain"]
    token = credentials_from_env().shopify_token
    query = "{ customers(first: 1) { nodes { id defaultEmailAddress { emailAddress } } } }"
    response = requests.post(
        f"{url.rstrip('/')}/shops/{shop}/admin/api/{ws.API_VERSION}/graphql.json",
        json={"query": query},
        headers={"X-Shopify-Access-Token": token},
        timeout=30,
    )
    nodes = ((response.json().get("data") or {}).get("customers") or {}).get("nodes") or []
    customer = nodes[0] if nodes else {"id": "gid://shopify/Customer/0"}
    return ws.privacy_deliveries(shop, customer, seed=seed)
