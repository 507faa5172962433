"""HTTP receiver: POST /webhooks/shopify and /webhooks/chatwoot.

Order of work per delivery: verify the signature (401, nothing stored), parse JSON (400, nothing
stored), store the event deduplicated on (source, delivery id) and commit, then apply it to the
raw entity table (newest wins) or quarantine it with the reason. Answers 200 quickly.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from psycopg2.extras import Json
from psycopg2.pool import ThreadedConnectionPool

from extractors import landing
from extractors.records import JSONDecodeError, dumps, loads
from extractors.settings import WebhookSettings
from extractors.webhooks import apply, verify
from warehouse.settings import DatabaseUrl

log = logging.getLogger(__name__)
MAX_BODY = 10 * 1024 * 1024


@dataclass
class Delivery:
    source: str
    delivery_id: str
    topic: str
    shop_domain: str | None
    body: Any
    raw: bytes


class Receiver:
    """The receiver's logic, independent of the HTTP server (and testable without it)."""

    def __init__(self, url: DatabaseUrl, settings: WebhookSettings, max_connections: int = 8):
        self.settings = settings
        self.pool = ThreadedConnectionPool(1, max_connections, **url.connect_kwargs())

    def close(self) -> None:
        self.pool.closeall()

    # --- request handling ----------------------------------------------------------------------

    def handle(self, target: str, headers: Any, raw: bytes) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(target)
        path = parts.path.rstrip("/")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if path == "/webhooks/shopify":
            return self._shopify(headers, raw)
        if path == "/webhooks/chatwoot":
            return self._chatwoot(headers, raw, query)
        return 404, {"error": "not found"}

    def _shopify(self, headers: Any, raw: bytes) -> tuple[int, dict[str, Any]]:
        if not self.settings.shopify_secret:
            return 503, {"error": "SHOPIFY_WEBHOOK_SECRET is not set on the receiver"}
        if not verify.verify_shopify(
            self.settings.shopify_secret, raw, headers.get("X-Shopify-Hmac-Sha256")
        ):
            return 401, {"error": "invalid signature"}
        body, error = _parse(raw)
        if error:
            return 400, {"error": error}
        delivery_id = (
            headers.get("X-Shopify-Event-Id") or headers.get("X-Shopify-Webhook-Id") or _digest(raw)
        )
        topic = headers.get("X-Shopify-Topic") or "unknown"
        shop = headers.get("X-Shopify-Shop-Domain") or self.settings.default_shop or None
        return self._store(Delivery("shopify", delivery_id, topic, shop, body, raw))

    def _chatwoot(
        self, headers: Any, raw: bytes, query: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        signature = headers.get("X-Chatwoot-Signature")
        secret = self.settings.chatwoot_secret
        if signature or secret:
            if not secret or not verify.verify_chatwoot(
                secret, raw, signature, headers.get("X-Chatwoot-Timestamp")
            ):
                return 401, {"error": "invalid signature"}
        elif not self.settings.chatwoot_allow_unsigned:
            return 401, {"error": "unsigned delivery (set CHATWOOT_ALLOW_UNSIGNED=true to accept)"}
        body, error = _parse(raw)
        if error:
            return 400, {"error": error}
        topic = str(body.get("event") or "unknown") if isinstance(body, dict) else "unknown"
        delivery_id = headers.get("X-Chatwoot-Delivery") or _digest(raw)
        shop = self._account_shop(body, query.get("account"))
        return self._store(Delivery("chatwoot", delivery_id, topic, shop, body, raw))

    def _account_shop(self, body: Any, query_account: str | None) -> str | None:
        """The shop of the delivery's Chatwoot account: ``account.id`` / ``account_id`` in the
        body, else ``?account=N`` on the webhook URL; None when it cannot be told."""
        account = body.get("account") if isinstance(body, dict) else None
        account_id = account.get("id") if isinstance(account, dict) else None
        if account_id is None and isinstance(body, dict):
            account_id = body.get("account_id")
        if account_id is None:
            account_id = query_account
        accounts = self.settings.chatwoot_accounts
        for known, shop in accounts:
            if str(account_id) == known:
                return shop
        if account_id is None and len(accounts) == 1:
            return accounts[0][1]
        if not accounts and account_id is None:
            return self.settings.default_shop or None
        return None

    # --- storage -------------------------------------------------------------------------------

    def _store(self, d: Delivery) -> tuple[int, dict[str, Any]]:
        conn = self.pool.getconn()
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "insert into raw_app.webhook_events "
                    "(source, delivery_id, shop_domain, topic, payload) "
                    "values (%s, %s, %s, %s, %s) "
                    "on conflict (source, delivery_id) do nothing returning 1",
                    (d.source, d.delivery_id, d.shop_domain, d.topic, Json(d.body, dumps=dumps)),
                )
                fresh = cur.fetchone() is not None
            conn.commit()
            if not fresh:
                return 200, {"status": "duplicate", "delivery_id": d.delivery_id}
            result = self._apply(conn, d)
            conn.commit()
            return 200, {"status": result, "delivery_id": d.delivery_id}
        except Exception:
            conn.rollback()
            log.exception("webhook %s %s could not be stored", d.source, d.delivery_id)
            return 500, {"error": "could not store the delivery; it will be retried"}
        finally:
            self.pool.putconn(conn)

    def _apply(self, conn: Any, d: Delivery) -> str:
        if d.source == "shopify":
            result = apply.shopify_rows(d.topic, d.body)
        else:
            accounts = self.settings.chatwoot_accounts
            result = apply.chatwoot_rows(d.topic, d.body, d.shop_domain, accounts)
        batch = f"webhook:{d.delivery_id}"
        with conn.cursor() as cur:
            if result.reason or not d.shop_domain:
                reason = result.reason or (
                    f"{d.source} {d.topic}: cannot tell the shop (no account id in the body; "
                    "use /webhooks/chatwoot?account=N per account)"
                )
                landing.quarantine(
                    cur,
                    d.source,
                    f"webhook:{d.topic}",
                    d.shop_domain,
                    batch,
                    [(reason, d.raw.decode("utf-8", errors="replace"))],
                )
                return "stored; quarantined"
            if result.table is None:
                return "stored"  # privacy topics: acted on by the security jobs
            if result.land is not None:
                result.land(cur, d.shop_domain, batch)
            else:
                first_seen = result.table in ("raw_chatwoot.agents", "raw_chatwoot.inboxes")
                landing.upsert_rows(
                    cur, result.table, d.shop_domain, batch, result.rows, first_seen
                )
            cur.execute(
                "update raw_app.webhook_events set applied_at = now() "
                "where source = %s and delivery_id = %s",
                (d.source, d.delivery_id),
            )
        return "applied"


def _parse(raw: bytes) -> tuple[Any, str | None]:
    try:
        body = loads(raw)
    except (JSONDecodeError, ValueError):
        return None, "malformed JSON"
    if not isinstance(body, dict):
        return None, "the body must be a JSON object"
    return body, None


def _digest(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


# --- HTTP server ---------------------------------------------------------------------------------


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._answer(413, {"error": "body too large"})
                return
            raw = self.rfile.read(length) if length else b""
            status, body = receiver.handle(self.path, self.headers, raw)
            self._answer(status, body)

        def do_GET(self) -> None:  # noqa: N802
            if self.path.rstrip("/") in ("", "/health"):
                self._answer(200, {"status": "ok"})
            else:
                self._answer(404, {"error": "not found"})

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt: str, *args: Any) -> None:
            log.debug("webhook %s", fmt % args)

    return Handler


@dataclass
class RunningReceiver:
    url: str
    server: ThreadingHTTPServer
    receiver: Receiver
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.receiver.close()
        self.thread.join(timeout=10)


def make_server(
    url: DatabaseUrl, settings: WebhookSettings, port: int = 0, host: str = "127.0.0.1"
) -> tuple[ThreadingHTTPServer, Receiver]:
    receiver = Receiver(url, settings)
    server = ThreadingHTTPServer((host, port), _handler(receiver))
    server.daemon_threads = True
    return server, receiver


def start_receiver(
    url: DatabaseUrl, settings: WebhookSettings, port: int = 0, host: str = "127.0.0.1"
) -> RunningReceiver:
    """Run the receiver in a background thread (tests: port 0). Call ``stop()`` when done."""
    server, receiver = make_server(url, settings, port, host)
    thread = threading.Thread(target=server.serve_forever, name="webhooks", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    return RunningReceiver(f"http://{bound_host}:{bound_port}", server, receiver, thread)
