"""Generate the dbt docs site and serve it offline.

`dbt docs generate --static` writes `static_index.html`: one self-contained page with the
manifest and catalog inlined, so it needs no other file and no network. The dbt-docs bundle only
loads its analytics script (Snowplow, from a CDN) when the manifest says
`send_anonymous_usage_stats: true`; the project sets it false, and `neutralise_external_loads`
additionally removes the script and collector addresses from the page, so an operator's browser
never reaches outside the machine even if the flag is flipped.
"""

from __future__ import annotations

import functools
import http.server
import json
import logging
import os
import re
import socketserver
from dataclasses import dataclass
from pathlib import Path

from warehouse.dbt_invocation import DBT_PROJECT_DIR, run_dbt
from warehouse.settings import DatabaseUrl

log = logging.getLogger(__name__)

DEFAULT_TARGET_DIR = DBT_PROJECT_DIR / "target"
PAGES = ("index.html", "static_index.html")

# Addresses the dbt-docs bundle can load at run time (analytics); replaced by an empty string.
EXTERNAL_LOADS = (
    "//d1fc8wv8zag5ca.cloudfront.net/2.9.0/sp.js",
    "fishtownanalytics.sinter-collect.com",
)

# A script, stylesheet, font or image fetched from another host: `src="http..."`, `href="//..."`,
# or CSS `url(https://...)`. Plain hyperlinks in text (<a href>) are not loads and are ignored.
_LOAD_PATTERNS = (
    re.compile(r"<script[^>]+src\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE),
    re.compile(r"<link[^>]+href\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE),
    re.compile(r"<img[^>]+src\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE),
    re.compile(r"@import\s+(?:url\()?[\"']?(?:https?:)?//", re.IGNORECASE),
    re.compile(r"url\(\s*[\"']?https?://", re.IGNORECASE),
)


class DocsError(RuntimeError):
    """The docs could not be generated; the message says what to do next."""


@dataclass(frozen=True)
class DocsSite:
    target_dir: Path

    @property
    def page(self) -> Path:
        return self.target_dir / "static_index.html"

    @property
    def manifest(self) -> Path:
        return self.target_dir / "manifest.json"


def external_loads(html: str) -> list[str]:
    """Fragments of `html` that would make a browser fetch something from another host."""
    found = [match.group(0)[:120] for pattern in _LOAD_PATTERNS for match in pattern.finditer(html)]
    found += [address for address in EXTERNAL_LOADS if address in html]
    return found


def neutralise_external_loads(path: Path) -> int:
    """Remove the analytics script and collector addresses from a docs page; returns removals."""
    html = path.read_text(encoding="utf-8")
    removed = 0
    for address in EXTERNAL_LOADS:
        removed += html.count(address)
        html = html.replace(address, "")
    path.write_text(html, encoding="utf-8")
    return removed


def resolve_target_dir(explicit: Path | None = None) -> Path:
    """The docs output directory: explicit, else $DBT_TARGET_PATH, else dbt_project/target."""
    return Path(explicit or os.environ.get("DBT_TARGET_PATH") or DEFAULT_TARGET_DIR).resolve()


def generate(url: DatabaseUrl, target_dir: Path | None = None) -> DocsSite:
    """Run `dbt docs generate --static` into `target_dir` and make the pages offline-safe.

    Anonymous usage stats are off through the project flag and the environment dbt_env() sets.
    """
    target_dir = resolve_target_dir(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    log.info("generating dbt docs into %s", target_dir)
    result = run_dbt(
        url, ["docs", "generate", "--static", "--target-path", str(target_dir)], check=False
    )
    site = DocsSite(target_dir)
    if result.returncode != 0 or not site.page.exists():
        raise DocsError(
            f"dbt docs generate failed (exit {result.returncode}); run `hotrod dbt debug` and "
            "`hotrod dbt parse` to see why"
        )
    metadata = json.loads(site.manifest.read_text(encoding="utf-8")).get("metadata", {})
    if metadata.get("send_anonymous_usage_stats") is not False:
        raise DocsError(
            "the manifest does not turn anonymous usage stats off; set "
            "flags.send_anonymous_usage_stats: false in dbt_project/dbt_project.yml"
        )
    for name in PAGES:
        page = target_dir / name
        if page.exists():
            neutralise_external_loads(page)
            leftovers = external_loads(page.read_text(encoding="utf-8"))
            if leftovers:
                raise DocsError(f"{page} still loads from other hosts: {leftovers[:3]}")
    log.info("docs ready: %s", site.page)
    return site


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the target directory; `/` is the self-contained static page."""

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        if self.path in ("/", "/index.html") or self.path.startswith("/#"):
            self.path = "/static_index.html"
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        log.debug("docs: " + format, *args)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(site: DocsSite, host: str = "127.0.0.1", port: int = 8080) -> _Server:
    """An HTTP server for the docs site (call serve_forever(); port 0 picks a free port)."""
    handler = functools.partial(_Handler, directory=str(site.target_dir))
    return _Server((host, port), handler)
