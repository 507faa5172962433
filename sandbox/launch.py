"""The sandbox as the demo's sources: the ``hotrod.sources`` entry point named ``sandbox``.

``hotrod run`` and ``hotrod dagster dev`` call :func:`serve` when ``HOTROD_SOURCES=sandbox``: it
opens (or generates) a store, serves it on a free port in this process and yields the settings
that point the extractors at it, which the CLI passes down to Dagster and the extractors.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from typing import Any

from sandbox.server.app import Credentials
from sandbox.webhook_sender import DEFAULT_CHATWOOT_SECRET, DEFAULT_SHOPIFY_SECRET

log = logging.getLogger(__name__)


def extractor_env(
    base_url: str, shops: Sequence[dict[str, Any]], credentials: Credentials
) -> dict[str, str]:
    """The SHOPIFY_*/CHATWOOT_*/HOTROD_APP_*/GA4_* settings that point every source at a sandbox."""
    base = base_url.rstrip("/")
    accounts = ",".join(f"{s['chatwoot_account_id']}={s['domain']}" for s in shops)
    properties = ",".join(f"{s['ga4_property_id']}={s['domain']}" for s in shops)
    return {
        "SHOPIFY_API_BASE_URL": f"{base}/shops/{{shop}}",
        "SHOPIFY_SHOP": ",".join(s["domain"] for s in shops),
        "SHOPIFY_ACCESS_TOKEN": credentials.shopify_token,
        "CHATWOOT_URL": base,
        "CHATWOOT_ACCOUNT_ID": accounts,
        "CHATWOOT_API_TOKEN": credentials.chatwoot_token,
        "HOTROD_APP_API_URL": base,
        "HOTROD_APP_API_TOKEN": credentials.app_token,
        "GA4_API_URL": base,
        "GA4_PROPERTY_ID": properties,
        "GA4_ACCESS_TOKEN": credentials.ga4_token,
    }


@contextlib.contextmanager
def serve(orders: int, seed: int) -> Iterator[tuple[str, dict[str, str]]]:
    """Serve a sandbox of ``orders`` orders in a background thread; yields (base URL, settings)."""
    from sandbox.server import start_server
    from sandbox.store import SandboxStore

    log.info("starting the sandbox (%d orders, seed %d)", orders, seed)
    store = SandboxStore.open(orders, seed)
    try:
        server = start_server(store, port=0)
        try:
            env = extractor_env(server.url, store.shops(), Credentials())
            env["SHOPIFY_WEBHOOK_SECRET"] = DEFAULT_SHOPIFY_SECRET
            env["CHATWOOT_WEBHOOK_SECRET"] = DEFAULT_CHATWOOT_SECRET
            yield server.url, env
        finally:
            server.stop()
    finally:
        store.close()
