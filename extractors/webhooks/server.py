"""HTTP receiver: POST /webhooks/shopify and /webhooks/chatwoot.

Order of work per delivery: verify the signature (401, nothing stored), parse JSON (400, nothing
stored), store the event deduplicated on (source, delivery id) and commit, then apply it or
quarantine it with the reason. Shopify deliveries are change notices (``pending.py``): the record
a delivery names is fetched from the Admin API and landed; a failed fetch leaves the delivery
pending, retried by the next delivery of the shop and by the retry loop. Chatwoot bodies are
mapped to the REST record shape and upserted (newest wins).

The HTTP layer is starlette on uvicorn (bottom of this file): body-size limit, body and keep-alive
timeouts, ``GET /health``, graceful stop on SIGTERM/SIGINT.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import anyio.to_thread
import psycopg2
import psycopg2.errors
import uvicorn
from psycopg2.extras import Json
from psycopg2.pool import PoolError, ThreadedConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from extractors import landing
from extractors.records import JSONDecodeError, RecordError, dumps, loads
from extractors.settings import WebhookSettings
from extractors.shopify import notices
from extractors.webhooks import apply, pending, verify
from warehouse.connection import WarehouseError
from warehouse.settings import DatabaseUrl

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5  # what a 503 asks the sender to wait (Shopify and Chatwoot retry non-2xx)
BUSY = (503, {"error": "the receiver is busy or its database unreachable; retry later"})
# jsonb cannot hold U+0000 ("unsupported Unicode escape sequence", SQLSTATE 22P05)
UNSTORABLE_JSON = (psycopg2.errors.UntranslatableCharacter,)


RETRY_S = 15.0  # pending Shopify deliveries are retried this often by a running receiver


@dataclass
class Delivery:
    source: str
    delivery_id: str
    topic: str
    shop_domain: str | None
    body: Any
    raw: bytes
    event_id: str | None = None  # X-Shopify-Event-Id (grouping only)
    triggered_at: str | None = None
    notice: notices.Notice | None = None  # the Shopify record it names
    reason: str | None = None  # why it cannot be applied (quarantined)


class Receiver:
    """The receiver's logic, independent of the HTTP server (and testable without it)."""

    def __init__(
        self,
        url: DatabaseUrl,
        settings: WebhookSettings,
        max_connections: int = 8,
        make_client: pending.ClientFactory | None = None,
    ):
        self.settings = settings
        try:
            kwargs = {"connect_timeout": 10, **url.connect_kwargs()}
            self.pool = ThreadedConnectionPool(1, max_connections, **kwargs)
        except psycopg2.OperationalError as exc:
            raise WarehouseError(
                f"cannot connect to Postgres at {url}: {_first_line(exc)} "
                "(check HOTROD_DATABASE_URL, or unset it to use the embedded warehouse)"
            ) from None
        if make_client is None and settings.shopify is not None:
            make_client = pending.client_factory(settings.shopify)
        self.make_client = make_client
        self._stop = threading.Event()
        self._retry: threading.Thread | None = None

    def start_retry_loop(self, interval_s: float = RETRY_S) -> None:
        """Retry pending Shopify deliveries every ``interval_s`` in a background thread."""
        if self.make_client is None or self._retry is not None:
            return

        def loop() -> None:
            while not self._stop.wait(interval_s):
                self.retry_pending()

        self._retry = threading.Thread(target=loop, name="webhooks-retry", daemon=True)
        self._retry.start()

    def close(self) -> None:
        self._stop.set()
        if self._retry is not None:
            self._retry.join(timeout=GRACEFUL_STOP_S)
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
        # X-Shopify-Webhook-Id is the per-delivery key; X-Shopify-Event-Id is shared by every
        # topic of one merchant action (kept for grouping only).
        delivery_id = headers.get("X-Shopify-Webhook-Id") or _digest(raw)
        topic = headers.get("X-Shopify-Topic") or "unknown"
        shop = headers.get("X-Shopify-Shop-Domain") or self.settings.default_shop or None
        d = Delivery("shopify", delivery_id, topic, shop, body, raw)
        d.event_id = headers.get("X-Shopify-Event-Id")
        d.triggered_at = headers.get("X-Shopify-Triggered-At")
        try:
            d.notice = notices.notice(topic, body)
        except RecordError as exc:
            d.reason = str(exc)
        return self._store(d)

    def _chatwoot(
        self, headers: Any, raw: bytes, query: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        signature = headers.get("X-Chatwoot-Signature")
        secret = self.settings.chatwoot_secret
        if signature or secret:
            stamp = headers.get("X-Chatwoot-Timestamp")
            max_age = self.settings.chatwoot_max_age_s
            if not secret or not verify.verify_chatwoot(secret, raw, signature, stamp, 0):
                return 401, {"error": "invalid signature"}
            if not verify.verify_chatwoot(secret, raw, signature, stamp, max_age):
                return 401, {"error": f"signature timestamp more than {max_age}s from now"}
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
        try:
            conn = self.pool.getconn()
        except (psycopg2.Error, PoolError) as exc:
            log.warning("webhook %s %s: no database connection: %s", d.source, d.delivery_id, exc)
            return BUSY
        try:
            note = d.notice
            try:
                fresh = self._insert_event(conn, d, Json(d.body, dumps=dumps))
            except UNSTORABLE_JSON as exc:
                conn.rollback()  # jsonb refuses \u0000: keep the raw body in the quarantine
                return self._store_unstorable(conn, d, exc)
            if fresh and note is not None and note.delete and d.shop_domain:
                # a delete is applied with the delivery, in one transaction
                with conn.cursor() as cur:
                    self._delete(cur, d, note)
                conn.commit()
                return 200, {"status": "applied", "delivery_id": d.delivery_id}
            conn.commit()
            if not fresh:
                return 200, {"status": "duplicate", "delivery_id": d.delivery_id}
            if d.source == "shopify" and d.notice is not None and d.shop_domain:
                return 200, {"status": self._drain(conn, d), "delivery_id": d.delivery_id}
            result = self._apply(conn, d)
            conn.commit()
            return 200, {"status": result, "delivery_id": d.delivery_id}
        except Exception:
            conn.rollback()
            log.exception("webhook %s %s could not be stored", d.source, d.delivery_id)
            return 500, {"error": "could not store the delivery; it will be retried"}
        finally:
            self.pool.putconn(conn)

    def _insert_event(self, conn: Any, d: Delivery, payload: Any) -> bool:
        """Store the delivery (deduplicated, not committed); True when it was new."""
        note = d.notice
        with conn.cursor() as cur:
            cur.execute(
                "insert into raw_app.webhook_events "
                "(source, delivery_id, shop_domain, topic, payload, event_id, record_gid) "
                "values (%s, %s, %s, %s, %s, %s, %s) "
                "on conflict (source, delivery_id) do nothing returning 1",
                (
                    d.source,
                    d.delivery_id,
                    d.shop_domain,
                    d.topic,
                    payload,
                    d.event_id,
                    note.gid if note and not note.delete and d.shop_domain else None,
                ),
            )
            return cur.fetchone() is not None

    def _store_unstorable(self, conn: Any, d: Delivery, exc: Exception) -> tuple[int, dict]:
        """A verified body Postgres cannot hold as jsonb (a ``\\u0000`` in a string): the event
        row keeps JSON null as its payload, the raw body goes to the quarantine with the reason;
        answered 200 so the sender does not retry what can never be applied."""
        if not self._insert_event(conn, d, Json(None)):
            conn.commit()
            return 200, {"status": "duplicate", "delivery_id": d.delivery_id}
        reason = f"{d.source} {d.topic}: body cannot be stored as jsonb ({_first_line(exc)})"
        with conn.cursor() as cur:
            landing.quarantine(
                cur,
                d.source,
                f"webhook:{d.topic}",
                d.shop_domain,
                f"webhook:{d.delivery_id}",
                [(reason, d.raw.decode("utf-8", errors="replace"))],
            )
        conn.commit()
        return 200, {"status": "stored; quarantined", "delivery_id": d.delivery_id}

    def _delete(self, cur: Any, d: Delivery, note: notices.Notice) -> None:
        pending.mark_deleted(cur, note, d.shop_domain or "", d.triggered_at)
        cur.execute(
            "update raw_app.webhook_events set applied_at = now() "
            "where source = %s and delivery_id = %s",
            (d.source, d.delivery_id),
        )

    def _drain(self, conn: Any, d: Delivery) -> str:
        """Fetch and land what the shop's pending deliveries name (this one among them)."""
        if self.make_client is None:
            log.warning(
                "shopify %s stored, pending: the receiver has no Admin API settings "
                "(set SHOPIFY_SHOP and SHOPIFY_ACCESS_TOKEN)",
                d.delivery_id,
            )
            return "stored; pending"
        pending.drain(conn, d.shop_domain or "", self.make_client)
        with conn.cursor() as cur:
            cur.execute(
                "select applied_at is not null from raw_app.webhook_events "
                "where source = %s and delivery_id = %s",
                (d.source, d.delivery_id),
            )
            done = cur.fetchone()[0]
        conn.commit()
        return "applied" if done else "stored; pending"

    def retry_pending(self) -> int:
        """Drain every shop with pending Shopify deliveries; returns how many were applied."""
        if self.make_client is None:
            return 0
        conn = self.pool.getconn()
        try:
            applied = 0
            for shop in pending.pending_shops(conn):
                applied += pending.drain(conn, shop, self.make_client)[0]
            return applied
        except Exception:
            conn.rollback()
            log.exception("retrying pending Shopify deliveries failed; will try again")
            return 0
        finally:
            self.pool.putconn(conn)

    def _apply(self, conn: Any, d: Delivery) -> str:
        if d.source == "shopify":  # privacy topics, or a body naming no record
            result = apply.Applied(None, [], d.reason)
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


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _digest(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


# --- HTTP server ---------------------------------------------------------------------------------
# starlette on uvicorn: one process, an event loop reading requests, the Receiver's blocking
# storage work in worker threads (at most as many at once as it has database connections).

MAX_BODY = 10 * 1024 * 1024  # bytes; larger deliveries get 413 (Shopify's are far smaller)
BODY_TIMEOUT_S = 30.0  # a client gets this long to send its whole body, then 408
KEEP_ALIVE_S = 5  # idle keep-alive connections are closed after this
GRACEFUL_STOP_S = 30  # on SIGTERM/SIGINT: deliveries in flight get this long to finish
BACKLOG = 2048  # pending connections the kernel queues (capped by net.core.somaxconn)
MAX_OPEN_CONNECTIONS = 4096  # uvicorn's own hard cap (it answers a bare 503 beyond it)
MAX_WAITING = 2000  # deliveries read and waiting for a database connection; beyond: 503
MAX_DB_CONNECTIONS = 8  # the Receiver's pool: deliveries stored at once
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class _BodyTooLargeError(Exception):
    pass


def _json(status: int, body: dict[str, Any]) -> Response:
    headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
    return Response(dumps(body), status_code=status, media_type="application/json", headers=headers)


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise _BodyTooLargeError
    chunks: list[bytes] = []
    size = 0
    with anyio.fail_after(BODY_TIMEOUT_S):
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                raise _BodyTooLargeError
            chunks.append(chunk)
    return b"".join(chunks)


def make_app(receiver: Receiver, max_connections: int = MAX_DB_CONNECTIONS) -> Starlette:
    """The ASGI app: POST any path to the Receiver (it answers 404 for unknown ones), GET
    /health for probes. At most ``max_connections`` deliveries are stored at once (the
    Receiver's database connections)."""
    limiter = anyio.CapacityLimiter(max_connections)
    waiting = [0]  # deliveries between "body read" and "stored"; one event loop, no lock needed

    async def deliver(request: Request) -> Response:
        try:
            raw = await _read_body(request)
        except _BodyTooLargeError:
            return _json(413, {"error": f"body larger than {MAX_BODY} bytes"})
        except TimeoutError:
            return _json(408, {"error": f"body not received within {BODY_TIMEOUT_S:.0f}s"})
        if waiting[0] >= MAX_WAITING:
            return _json(*BUSY)  # with Retry-After: the sender comes back, nothing is lost
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        waiting[0] += 1
        try:
            status, body = await anyio.to_thread.run_sync(
                receiver.handle, target, request.headers, raw, limiter=limiter
            )
        finally:
            waiting[0] -= 1
        return _json(status, body)

    async def health(request: Request) -> Response:
        return _json(200, {"status": "ok"})

    async def not_found(request: Request) -> Response:
        return _json(404, {"error": "not found"})

    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/", health, methods=["GET"]),
            Route("/{path:path}", deliver, methods=["POST"]),
            Route("/{path:path}", not_found, methods=["GET", "HEAD"]),
        ]
    )


class _Server(uvicorn.Server):
    """uvicorn's server; a SIGTERM/SIGINT stops it gracefully and the command then returns
    normally (uvicorn would re-raise the signal after its shutdown, exiting with -15)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


class WebhookServer:
    """uvicorn serving the app on a socket bound at construction (port 0 picks a free port)."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        self.socket = socket.create_server((host, port), backlog=BACKLOG, reuse_port=False)
        self.server_address = self.socket.getsockname()[:2]
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=KEEP_ALIVE_S,
            timeout_graceful_shutdown=GRACEFUL_STOP_S,
            limit_concurrency=MAX_OPEN_CONNECTIONS,
            backlog=BACKLOG,
        )
        self.server = _Server(config)

    def serve_forever(self) -> None:
        """Serve until shutdown() or, in the main thread, SIGTERM/SIGINT (graceful)."""
        self.server.run(sockets=[self.socket])

    def shutdown(self) -> None:
        self.server.should_exit = True

    def server_close(self) -> None:
        self.socket.close()


@dataclass
class RunningReceiver:
    url: str
    server: WebhookServer
    receiver: Receiver
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=GRACEFUL_STOP_S + 5)
        self.server.server_close()
        self.receiver.close()


def make_server(
    url: DatabaseUrl, settings: WebhookSettings, port: int = 0, host: str = "127.0.0.1"
) -> tuple[WebhookServer, Receiver]:
    receiver = Receiver(url, settings, max_connections=MAX_DB_CONNECTIONS)
    receiver.start_retry_loop()
    return WebhookServer(make_app(receiver, MAX_DB_CONNECTIONS), host, port), receiver


def start_receiver(
    url: DatabaseUrl, settings: WebhookSettings, port: int = 0, host: str = "127.0.0.1"
) -> RunningReceiver:
    """Run the receiver in a background thread (tests: port 0). Call ``stop()`` when done."""
    server, receiver = make_server(url, settings, port, host)
    thread = threading.Thread(target=server.serve_forever, name="webhooks", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    bound_host, bound_port = server.server_address
    return RunningReceiver(f"http://{bound_host}:{bound_port}", server, receiver, thread)
