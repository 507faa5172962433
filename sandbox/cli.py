"""`hotrod sandbox ...`: generate the sandbox business, print its golden truth, serve it."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

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


def _reference(args: argparse.Namespace) -> int:
    from sandbox.server import chatwoot_reference, schema

    reference: Path = args.source
    needed = (reference / schema.SDL_NAME, reference / chatwoot_reference.SWAGGER_NAME)
    missing = [str(path) for path in needed if not path.is_file()]
    if missing:
        print(f"hotrod sandbox: no reference file {', '.join(missing)}", file=sys.stderr)
        return 2
    outputs = (
        (schema.PRUNED_SDL, lambda: schema.render_pruned(needed[0].read_bytes())),
        (
            chatwoot_reference.SUBSET,
            lambda: chatwoot_reference.render_subset(needed[1].read_bytes()),
        ),
    )
    drifted = []
    for path, render in outputs:
        text = render()
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            print(f"{path.name}: up to date")
        elif args.check:
            drifted.append(path.name)
            print(f"{path.name}: differs from what {reference} gives", file=sys.stderr)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"{path.name}: written ({len(text):,} characters)")
    return 1 if drifted else 0


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
    reference = actions.add_parser(
        "reference",
        help="regenerate the in-repo API schema subsets from the full reference files",
    )
    reference.add_argument(
        "--from",
        dest="source",
        type=Path,
        required=True,
        help="folder with shopify-admin-2026-07.graphql and chatwoot-swagger.json",
    )
    reference.add_argument("--check", action="store_true", help="only report drift (exit 1)")
    reference.set_defaults(handler=_reference)
