"""`hotrod` — the project's command line.

Subcommands come from the ``hotrod.commands`` entry points of the installed distributions (each a
``register(subparsers)`` function): the product's own, and the sandbox and benchmarks of the dev
distributions when they are installed. A command that fails to load is an error, never skipped.
Errors the operator can act on are printed as one line.
"""

from __future__ import annotations

import argparse
import logging
import sys
from importlib.metadata import EntryPoint, entry_points

import psycopg2

from extractors.errors import redact
from hotrod.sources import SourcesError
from warehouse.connection import WarehouseError, database_error
from warehouse.settings import SettingError

COMMAND_GROUP = "hotrod.commands"
# Commands that dev distributions contribute: named when asked for and not installed.
DEV_COMMANDS = {
    "sandbox": "the sandbox (pip install --no-deps -e ./sandbox)",
    "bench": "the benchmarks (pip install --no-deps -e ./benchmarks)",
}


class CommandLoadError(RuntimeError):
    """An installed command could not be loaded."""


def command_entry_points() -> list[EntryPoint]:
    """The registered commands, in a stable order (by name)."""
    return sorted(entry_points(group=COMMAND_GROUP), key=lambda ep: ep.name)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotrod", description="Hot Rod AN Analytics")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    found = command_entry_points()
    if not found:
        raise CommandLoadError(
            f"no {COMMAND_GROUP} entry points: the project is not installed (run `make install`)"
        )
    for entry in found:
        try:
            register = entry.load()
        except Exception as exc:
            raise CommandLoadError(
                f"command {entry.name!r} ({entry.value}) failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        register(subparsers)
    return parser


def _missing_dev_command(argv: list[str], parser: argparse.ArgumentParser) -> str | None:
    """The one-line answer when argv asks for a dev command that is not installed."""
    words = [a for a in argv if not a.startswith("-")]
    if not words or words[0] not in DEV_COMMANDS:
        return None
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if words[0] in action.choices:
        return None
    return f"hotrod: error: `hotrod {words[0]}` needs {DEV_COMMANDS[words[0]]}, not installed"


class _RedactingFilter(logging.Filter):
    """Masks URL credentials in every log line (a password in a URL never reaches a log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        parser = build_parser()
    except (CommandLoadError, SettingError) as exc:
        print(f"hotrod: error: {exc}", file=sys.stderr)
        return 2
    missing = _missing_dev_command(argv, parser)
    if missing:
        print(missing, file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(_RedactingFilter())
    try:
        return int(args.handler(args) or 0)
    except (WarehouseError, SourcesError, SettingError) as exc:
        print(f"hotrod: error: {redact(str(exc))}", file=sys.stderr)
        return 2
    except psycopg2.Error as exc:
        print(f"hotrod: error: {redact(database_error(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hotrod: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
