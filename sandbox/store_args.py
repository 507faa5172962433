"""The --orders/--seed/--now options of every command that opens a sandbox store, and opening it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from sandbox.generator.clock import parse_now

if TYPE_CHECKING:
    from sandbox.store import SandboxStore

DEFAULT_ORDERS = 20_000
DEFAULT_SEED = 42


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    """--orders/--seed/--now, shared by every command that opens a sandbox store."""
    parser.add_argument("--orders", type=int, default=DEFAULT_ORDERS, help="orders to generate")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument(
        "--now",
        default=None,
        help="the sandbox clock, ISO-8601 UTC (default: the current hour)",
    )


def open_store(args: argparse.Namespace, progress: bool = False) -> SandboxStore:
    try:
        now = parse_now(args.now)
    except ValueError as exc:
        raise SystemExit(
            f"hotrod sandbox: --now must be ISO-8601, e.g. 2026-06-01T12:00:00Z ({exc})"
        ) from None
    if args.orders < 1:
        raise SystemExit("hotrod sandbox: --orders must be at least 1")
    from sandbox.store import SandboxStore  # generating code: loaded when a store is opened

    return SandboxStore.open(args.orders, args.seed, now=now, progress=progress)
