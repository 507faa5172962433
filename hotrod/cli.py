"""`hotrod` — the project's command line.

Each package contributes its subcommands through a ``register(subparsers)`` function, so this
module stays a thin dispatcher. Errors the operator can act on are printed as one line.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

# Packages whose `cli` module registers subcommands. A missing module is skipped so that a
# partial checkout still offers what it has.
COMMAND_MODULES = (
    "warehouse.cli",
    "warehouse.privacy.cli",
    "hotrod.dbt_cli",
    "hotrod.docs_cli",
    "hotrod.run",
    "sandbox.cli",
    "extractors.cli",
    "orchestration.cli",
    "benchmarks.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotrod", description="Hot Rod AN Analytics")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    from warehouse.connection import WarehouseError

    try:
        return int(args.handler(args) or 0)
    except WarehouseError as exc:
        print(f"hotrod: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hotrod: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
