"""`hotrod docs generate|serve` — the dbt docs and lineage graph, offline."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hotrod.docs_site import DocsError, DocsSite, generate, make_server, resolve_target_dir
from warehouse.bootstrap import bootstrap
from warehouse.connection import resolve


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("docs", help="generate and serve the dbt docs offline")
    commands = parser.add_subparsers(dest="docs_command", required=True, metavar="ACTION")

    gen = commands.add_parser("generate", help="dbt docs generate --static (no outside scripts)")
    gen.add_argument("--target-path", type=Path, help="output directory (default dbt target)")
    gen.set_defaults(handler=_generate)

    serve = commands.add_parser("serve", help="generate, then serve on a local port")
    serve.add_argument("--target-path", type=Path, help="output directory (default dbt target)")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    serve.add_argument("--no-generate", action="store_true", help="serve what is already generated")
    serve.set_defaults(handler=_serve)


def _site(args: argparse.Namespace) -> DocsSite:
    url = resolve()
    bootstrap(url)
    return generate(url, args.target_path)


def _generate(args: argparse.Namespace) -> int:
    try:
        site = _site(args)
    except DocsError as exc:
        print(f"hotrod: error: {exc}", file=sys.stderr)
        return 1
    print(site.page)
    return 0


def _serve(args: argparse.Namespace) -> int:
    try:
        if args.no_generate:
            site = DocsSite(resolve_target_dir(args.target_path))
            if not site.page.exists():
                raise DocsError(f"{site.page} does not exist; run `hotrod docs generate` first")
        else:
            site = _site(args)
    except DocsError as exc:
        print(f"hotrod: error: {exc}", file=sys.stderr)
        return 1
    server = make_server(site, args.host, args.port)
    host, port = server.server_address[:2]
    print(f"dbt docs at http://{host}:{port}/ (lineage: graph button, bottom right); Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
