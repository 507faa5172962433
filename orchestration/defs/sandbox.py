"""The local sandbox as a stand-in for Shopify, Chatwoot and the app API (zero-config runs)."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

# docs/raw-landing.md: sandbox shops, accounts and credentials.
SANDBOX_SHOPS = (
    "hot-rod-an.sandbox.test",
    "speedway-classics.sandbox.test",
    "maple-street-rods.sandbox.test",
)


def sandbox_env(base_url: str) -> dict[str, str]:
    """The extractor environment that points every source at a sandbox server."""
    base = base_url.rstrip("/")
    return {
        "SHOPIFY_SHOP": ",".join(SANDBOX_SHOPS),
        "SHOPIFY_ACCESS_TOKEN": "shpat_sandbox_token",
        "SHOPIFY_API_BASE_URL": f"{base}/shops/{{shop}}",
        "SHOPIFY_WEBHOOK_SECRET": "sandbox_shopify_secret",
        "CHATWOOT_URL": base,
        "CHATWOOT_ACCOUNT_ID": ",".join(f"{i}={shop}" for i, shop in enumerate(SANDBOX_SHOPS, 1)),
        "CHATWOOT_API_TOKEN": "cw_sandbox_token",
        "CHATWOOT_WEBHOOK_SECRET": "sandbox_chatwoot_secret",
        "HOTROD_APP_API_URL": base,
        "HOTROD_APP_API_TOKEN": "app_sandbox_token",
    }


def server_env(server: Any) -> dict[str, str]:
    """The sandbox's own idea of its environment when it offers one, else the documented one."""
    for attr in ("extractor_env", "env"):
        value = getattr(server, attr, None)
        if callable(value):
            value = value()
        if isinstance(value, dict) and value:
            return {str(k): str(v) for k, v in value.items()}
    return sandbox_env(server.url)


def start_sandbox(orders: int, seed: int) -> tuple[Any, dict[str, str]]:
    """Start an in-process sandbox server on a free port; returns (server, extractor env)."""
    from sandbox.server import start_server
    from sandbox.store import SandboxStore

    log.info("starting the sandbox (%d orders, seed %d)", orders, seed)
    store = SandboxStore.open(orders, seed)
    server = start_server(store, port=0)
    return server, server_env(server)
