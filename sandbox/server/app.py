"""The sandbox HTTP server: routing, authentication and fault injection around the API handlers."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import tempfile
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox.server import ga4
from sandbox.server.app_api import AppApi
from sandbox.server.chatwoot import Chatwoot
from sandbox.server.data import DataAccess, StoreLike
from sandbox.server.faults import FaultConfig, FaultInjector
from sandbox.server.shopify.bulk import BulkManager
from sandbox.server.shopify.graphql_api import ShopifyGraphQL
from sandbox.server.shopify.plan import Context
from sandbox.server.throttle import CostBucket
from warehouse.json_codec import JSONEncodeError, dumps_bytes

log = logging.getLogger(__name__)

SHOPIFY_UNAUTHORIZED = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
CHATWOOT_UNAUTHORIZED = {"error": "You need to sign in or sign up before continuing."}
API_VERSION = "2026-07"

GRAPHQL = re.compile(r"^(?:/shops/(?P<shop>[^/]+))?/admin/api/(?P<version>[^/]+)/graphql\.json$")
BULK_FILE = re.compile(r"^/bulk/(?P<number>\d+)\.jsonl$")
CHATWOOT = re.compile(r"^/api/(?P<version>v1|v2)/accounts/(?P<account>\d+)/(?P<rest>.+?)/?$")
CHATWOOT_PROFILE = re.compile(r"^/api/v1/profile/?$")
APP = re.compile(r"^/app/api/(?P<entity>\w+)/?$")


@dataclass(frozen=True)
class Credentials:
    """What clients must present (sandbox defaults from docs/raw-landing.md)."""

    shopify_token: str = "shpat_sandbox_token"
    chatwoot_token: str = "cw_sandbox_token"
    app_token: str = "app_sandbox_token"
    ga4_token: str = "ga4_sandbox_token"  # an OAuth access token, as Google's are


class Sandbox:
    """Everything a request handler needs, shared by all handler threads."""

    def __init__(
        self,
        store: StoreLike,
        faults: FaultConfig | None = None,
        credentials: Credentials | None = None,
        work_dir: Path | None = None,
    ) -> None:
        self.data = DataAccess(store)
        self.faults = FaultInjector(faults)
        self.credentials = credentials or Credentials()
        self._tmp = None
        if work_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="hotrod-sandbox-")
            work_dir = Path(self._tmp.name)
        self.work_dir = work_dir
        self.base_url = "http://127.0.0.1:0"
        cfg = self.faults.config
        self.bucket = CostBucket(cfg.bucket_size, cfg.restore_rate)
        self.bulk = BulkManager(
            self.data,
            work_dir,
            lambda: self.base_url,
            self.faults,
            lambda variables: Context(_schema(), {}, variables),
        )
        self.shopify = ShopifyGraphQL(self.data, self.bucket, self.faults, self.bulk)
        self.chatwoot = Chatwoot(self.data, self.faults)
        self.app = AppApi(self.data)
        self.ga4 = ga4.Ga4Api(self.data, thresholded=self.faults.config.ga4_thresholded)

    def close(self) -> None:
        for thread in self.bulk.threads:
            thread.join(timeout=30)
        if self._tmp is not None:
            self._tmp.cleanup()

    def config(self) -> dict:
        return {
            "now": self.data.now.isoformat(),
            "shops": self.data.shops(),
            "api_version": API_VERSION,
            "faults": self.faults.config.as_json(),
            "changes": len(self.data.changes),
        }


def _schema() -> Any:
    from sandbox.server.schema import shopify_schema

    return shopify_schema()


def _encode(body: Any) -> bytes:
    """JSON bytes of an answer: orjson when it can (several times faster), else plain json."""
    try:
        return dumps_bytes(body, non_str_keys=True)
    except JSONEncodeError:  # e.g. an integer wider than 64 bits
        return json.dumps(body).encode()


class Handler(BaseHTTPRequestHandler):
    server_version = "HotRodSandbox/1.0"
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes: with Nagle on, each small answer waits for
    # the client's delayed ACK (~40 ms), capping a keep-alive connection at ~25 requests/s.
    disable_nagle_algorithm = True
    sandbox: Sandbox  # set on the subclass made per server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s - %s", self.address_string(), format % args)

    # --- plumbing -----------------------------------------------------------------------

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = body if isinstance(body, bytes) else _encode(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(raw)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _fault(self, kind: str) -> str | None:
        """Apply the injector's decision; returns the fault left for the API to render."""
        _, fault = self.sandbox.faults.next_request()
        if fault == "drop":
            self._body()
            self._drop()
            return "handled"
        if fault == "error":
            self._body()
            status = self.sandbox.faults.config.error_status
            body = {"errors": "Internal Server Error"} if kind == "shopify" else {"error": "boom"}
            if kind == "ga4":
                status, body = ga4.unavailable(status)
            self._send(status, body)
            return "handled"
        if fault == "throttle" and kind == "ga4":
            self._body()  # Google sends no Retry-After: the client backs off on its own
            self._send(*ga4.resource_exhausted())
            return "handled"
        if fault == "throttle" and kind != "shopify":
            self._body()
            retry = self.sandbox.faults.config.retry_after
            self._send(
                429,
                {"errors": "Exceeded request rate. Reduce request rates to resume."},
                {"Retry-After": f"{retry:.1f}"},
            )
            return "handled"
        return fault

    # --- verbs --------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query))
        path = url.path
        try:
            if path.startswith("/_sandbox/"):
                self._control(method, path, params)
            elif m := GRAPHQL.match(path):
                self._graphql(method, m["shop"])
            elif m := BULK_FILE.match(path):
                self._bulk_file(int(m["number"]))
            elif m := CHATWOOT.match(path):
                rest = m["rest"] if m["version"] == "v1" else f"v2/{m['rest']}"
                self._chatwoot(method, int(m["account"]), rest, params)
            elif CHATWOOT_PROFILE.match(path):
                self._chatwoot(method, None, "profile", params)
            elif m := APP.match(path):
                self._app(method, m["entity"], params)
            elif m := ga4.ROUTE.match(path):
                self._ga4(method, m["property"])
            else:
                self._body()
                self._send(404, {"error": f"no route for {method} {path}"})
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception:
            log.exception("sandbox request failed: %s %s", method, path)
            self._send(500, {"error": "sandbox internal error (see the server log)"})

    def _graphql(self, method: str, shop: str | None) -> None:
        sandbox = self.sandbox
        if shop is None:
            shop = sandbox.data.shops()[0]["domain"]
        if method != "POST":
            self._send(405, {"errors": "Use POST"})
            return
        if self.headers.get("X-Shopify-Access-Token") != sandbox.credentials.shopify_token:
            self._body()
            self._send(401, SHOPIFY_UNAUTHORIZED)
            return
        if sandbox.data.shop(shop) is None:
            self._body()
            self._send(404, {"errors": "Not Found"})
            return
        fault = self._fault("shopify")
        if fault == "handled":
            return
        headers = {"X-Shopify-API-Version": API_VERSION}
        try:
            body = json.loads(self._body() or b"{}")
        except ValueError:
            self._send(400, {"errors": {"query": "Required parameter missing or invalid"}}, headers)
            return
        if fault == "throttle":
            # an injected burst reports an empty bucket without emptying it
            self._send(200, sandbox.shopify.throttled(shop, empty=True), headers)
            return
        self._send(
            200, sandbox.shopify.execute(shop, body if isinstance(body, dict) else {}), headers
        )

    def _bulk_file(self, number: int) -> None:
        if self._fault("bulk") == "handled":
            return
        path = self.sandbox.bulk.file_for(number)
        if path is None:
            self._send(404, {"error": "no such bulk result"})
            return
        size = path.stat().st_size
        self.send_response(200)
        self.send_header("Content-Type", "application/jsonl")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        with path.open("rb") as source:
            while chunk := source.read(1 << 20):
                self.wfile.write(chunk)

    def _chatwoot(
        self, method: str, account: int | None, rest: str, params: dict[str, str]
    ) -> None:
        chatwoot = self.sandbox.chatwoot
        user = chatwoot.user_for(
            self.headers.get("api_access_token"), self.sandbox.credentials.chatwoot_token
        )
        if user is None:
            self._send(401, CHATWOOT_UNAUTHORIZED)
            return
        if method == "POST" and account is not None and rest == "webhooks":
            try:
                given = json.loads(self._body() or b"{}")
            except ValueError:
                given = None
            self._send(*chatwoot.create_webhook(account, given, user))
            return
        if method != "GET":
            self._send(405, {"error": "the sandbox Chatwoot accepts only webhook registrations"})
            return
        if self._fault("chatwoot") == "handled":
            return
        if account is None:
            status, body = chatwoot.profile(user)
        else:
            status, body = chatwoot.route(account, rest.split("/"), params, user)
        self._send(status, body)

    def _app(self, method: str, entity: str, params: dict[str, str]) -> None:
        expected = f"Bearer {self.sandbox.credentials.app_token}"
        if self.headers.get("Authorization") != expected:
            self._send(401, {"error": "invalid or missing bearer token"})
            return
        if method != "GET":
            self._send(405, {"error": "the app API is read-only"})
            return
        if self._fault("app") == "handled":
            return
        status, body = self.sandbox.app.route(entity, params)
        self._send(status, body)

    def _fields(self, *names: str) -> list[str] | None:
        """The JSON body's named fields as non-empty strings; None (400 sent) otherwise."""
        try:
            given = json.loads(self._body() or b"{}")
            values = [given[name] for name in names]
        except (ValueError, KeyError, TypeError):
            values = []
        if len(values) != len(names) or not all(isinstance(v, str) and v.strip() for v in values):
            fields = ", ".join(f'"{name}"' for name in names)
            self._send(400, {"error": f"body must be {{{fields}}} (non-empty strings)"})
            return None
        return values

    def _delete(self, data: DataAccess) -> None:
        """``{"entity": "orders|products|customers", "shop": domain, "id": gid}``: the merchant
        deletes the record; the change (``{entity}/delete``) joins /_sandbox/changes."""
        given = self._fields("entity", "shop", "id")
        if given is None:
            return
        entity, shop, rid = given
        if entity not in ("orders", "products", "customers"):
            self._send(400, {"error": "Shopify deletes orders, products and customers"})
            return
        change = data.delete("shopify", entity, shop, rid)
        if change is None:
            self._send(404, {"error": f"no {entity} {rid} in {shop}"})
            return
        self._send(200, {"deleted": rid, "seq": change["seq"]})

    def _rename_shop(self, data: DataAccess) -> None:
        """``{"shop": domain, "name": text}``: the merchant renames the shop; the change
        (``shop/update``) joins /_sandbox/changes."""
        given = self._fields("shop", "name")
        if given is None:
            return
        change = data.rename_shop(*given)
        if change is None:
            self._send(404, {"error": f"no shop {given[0]}"})
            return
        self._send(200, {"renamed": given[0], "seq": change["seq"]})

    def _set_sku(self, data: DataAccess) -> None:
        """``{"shop": domain, "variant": gid, "sku": text}``: the merchant changes a variant's
        SKU; products/update and inventory_items/update join /_sandbox/changes."""
        given = self._fields("shop", "variant", "sku")
        if given is None:
            return
        changes = data.set_sku(*given)
        if changes is None:
            self._send(404, {"error": f"no variant {given[1]} in {given[0]}"})
            return
        self._send(200, {"changed": given[1], "seq": changes[-1]["seq"]})

    def _ga4(self, method: str, property_id: str) -> None:
        if self.headers.get("Authorization") != f"Bearer {self.sandbox.credentials.ga4_token}":
            self._body()
            self._send(*ga4.unauthenticated())
            return
        if method != "POST":
            self._body()
            self._send(*ga4.error(404, "NOT_FOUND", "Method not found."))
            return
        if self._fault("ga4") == "handled":
            return
        try:
            body = json.loads(self._body() or b"{}")
        except ValueError:
            self._send(*ga4.error(400, "INVALID_ARGUMENT", "Invalid JSON payload received."))
            return
        self._send(*self.sandbox.ga4.run_report(property_id, body))

    def _control(self, method: str, path: str, params: dict[str, str]) -> None:
        data = self.sandbox.data
        if method == "POST" and path == "/_sandbox/advance":
            raw = self._body()
            try:
                days = int((json.loads(raw) if raw else {}).get("days", 1))
            except (ValueError, AttributeError):
                self._send(400, {"error": 'body must be {"days": <int>}'})
                return
            now, changes = data.advance(days)
            self._send(200, {"now": now.isoformat(), "changes": changes})
        elif method == "POST" and path == "/_sandbox/delete":
            self._delete(data)
        elif method == "POST" and path == "/_sandbox/rename-shop":
            self._rename_shop(data)
        elif method == "POST" and path == "/_sandbox/set-sku":
            self._set_sku(data)
        elif method == "GET" and path == "/_sandbox/truth":
            self._send(200, data.truth())
        elif method == "GET" and path == "/_sandbox/config":
            self._send(200, self.sandbox.config())
        elif method == "GET" and path == "/_sandbox/changes":
            since = int(params.get("since", "0") or 0)
            changes = data.changes_since(since)
            self._send(200, {"changes": changes, "next": since + len(changes)})
        else:
            self._send(404, {"error": f"no control route {method} {path}"})


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # extractors open many connections at once


@dataclass
class RunningServer:
    url: str
    sandbox: Sandbox
    httpd: ThreadingHTTPServer
    thread: threading.Thread

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)
        self.sandbox.close()


def make_server(
    store: StoreLike,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: FaultConfig | None = None,
    credentials: Credentials | None = None,
) -> tuple[ThreadingHTTPServer, Sandbox]:
    sandbox = Sandbox(store, faults, credentials)
    handler = type("SandboxHandler", (Handler,), {"sandbox": sandbox})
    httpd = SandboxHTTPServer((host, port), handler)
    sandbox.base_url = f"http://{host}:{httpd.server_address[1]}"
    return httpd, sandbox


def start_server(
    store: StoreLike,
    port: int = 0,
    faults: FaultConfig | None = None,
    *,
    host: str = "127.0.0.1",
    credentials: Credentials | None = None,
) -> RunningServer:
    """Serve ``store`` from a background thread; call ``stop()`` when done."""
    httpd, sandbox = make_server(
        store, host=host, port=port, faults=faults, credentials=credentials
    )
    thread = threading.Thread(target=httpd.serve_forever, name="hotrod-sandbox", daemon=True)
    thread.start()
    return RunningServer(sandbox.base_url, sandbox, httpd, thread)
