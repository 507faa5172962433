"""`hotrod sandbox ...`: generate the sandbox business, print its golden truth, serve it."""

from __future__ import annotations

import argparse
import json
import sys
import time

from sandbox.server.cli import register_server_commands
from sandbox.store_args import add_store_arguments, open_store


def _generate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    store = open_store(args, progress=True)
    try:
        elapsed = time.perf_counter() - started
        counts = {
            "orders": store.count("shopify", "orders", None),
            "customers": store.count("shopify", "customers", None),
            "conversations": store.count("chatwoot", "conversations", None),
            "messages": store.count("chatwoot", "messages", None),
        }
        print(f"sandbox store: {store.path}")
        print(f"clock: {store.now.isoformat()}  ({elapsed:,.1f}s, cached files are reused)")
        print("  " + ", ".join(f"{k}: {v:,}" for k, v in counts.items()))
        for shop in store.shops():
            print(
                f"  {shop['domain']} ({shop['timezone']}, {shop['currency']}, "
                f"Chatwoot account {shop['chatwoot_account_id']}): "
                f"{store.count('shopify', 'orders', shop['domain']):,} orders"
            )
    finally:
        store.close()
    return 0


def _truth(args: argparse.Namespace) -> int:
    store = open_store(args, progress=False)
    try:
        json.dump(store.truth(), sys.stdout, indent=2 if args.pretty else None, sort_keys=True)
        sys.stdout.write("\n")
    finally:
        store.close()
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sandbox", help="the deterministic synthetic business and its API stand-ins"
    )
    actions = parser.add_subparsers(dest="sandbox_command", required=True, metavar="ACTION")
    generate = actions.add_parser("generate", help="generate (or reuse) the sandbox store")
    add_store_arguments(generate)
    generate.set_defaults(handler=_generate)
    truth = actions.add_parser("truth", help="print the golden figures as JSON")
    add_store_arguments(truth)
    truth.add_argument("--pretty", action="store_true", help="indent the JSON")
    truth.set_defaults(handler=_truth)
    register_server_commands(actions)
