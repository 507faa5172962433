"""Which sources a CLI run reads: the configured ones, or the demo sandbox when asked for.

``HOTROD_SOURCES=sandbox`` (set by ``make run``, ``make dagster`` and the tests that need it) is the
only way the sandbox starts: the CLI starts it through the ``hotrod.sources`` entry point of the
sandbox distribution and passes its settings down, as environment, to Dagster and the
extractors. Unset, runs read the SHOPIFY_*/CHATWOOT_*/HOTROD_APP_*/GA4_* settings, and nothing
stands in for a source that is not configured.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from importlib.metadata import entry_points

from extractors.run import configured_sources
from extractors.settings import from_env
from warehouse.settings import patched_environ

SOURCES_ENV = "HOTROD_SOURCES"
PLUGIN_GROUP = "hotrod.sources"
SANDBOX = "sandbox"


class SourcesError(RuntimeError):
    """The sources cannot be used as configured; printed as one line by the CLI."""


def requested(env: Mapping[str, str]) -> str | None:
    """``sandbox`` when HOTROD_SOURCES asks for it, None when unset; anything else is an error."""
    value = env.get(SOURCES_ENV, "").strip()
    if not value:
        return None
    if value != SANDBOX:
        raise SourcesError(
            f"{SOURCES_ENV}={value!r} is not known: set it to {SANDBOX!r} for the demo sandbox, "
            "or unset it to read the configured SHOPIFY_*/CHATWOOT_*/HOTROD_APP_*/GA4_* sources"
        )
    return value


def _plugin(name: str) -> Callable:
    found = [ep for ep in entry_points(group=PLUGIN_GROUP) if ep.name == name]
    if not found:
        raise SourcesError(
            f"{SOURCES_ENV}={name} but the sandbox is not installed: `make install` installs "
            "it (pip install --no-deps -e ./sandbox)"
        )
    return found[0].load()


def check(env: Mapping[str, str], require_configured: bool = True) -> Callable | None:
    """The sandbox's ``serve`` when HOTROD_SOURCES asks for it; else None, and (when required)
    SourcesError unless at least one source is configured."""
    if requested(env) is not None:
        return _plugin(SANDBOX)
    if require_configured and not configured_sources(from_env(env)):
        raise SourcesError(
            "no source is configured: set SHOPIFY_SHOP and SHOPIFY_ACCESS_TOKEN (and the "
            f"CHATWOOT_*/HOTROD_APP_*/GA4_* settings, see .env.example), or {SOURCES_ENV}=sandbox "
            "for the demo (`make run`)"
        )
    return None


@contextlib.contextmanager
def sources(
    orders: int, seed: int, out: Callable[[str], None] = print, require_configured: bool = True
) -> Iterator[dict[str, str]]:
    """For the block: the sandbox served and its settings in os.environ when HOTROD_SOURCES asks
    for it (yields them); else the configured sources (yields {})."""
    serve = check(os.environ, require_configured)
    if serve is None:
        yield {}
        return
    out(f"sandbox: generating {orders:,} orders (seed {seed})...")
    with serve(orders, seed) as (url, env):
        out(f"sandbox: serving at {url}")
        with patched_environ(env):
            yield env
