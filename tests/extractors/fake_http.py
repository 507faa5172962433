"""A scripted local HTTP server for client tests: each request pops the next scripted answer."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# An answer: (status, headers, body) | "drop" (close the socket without answering)
Answer = tuple[int, dict[str, str], Any] | str


class FakeServer:
    def __init__(
        self,
        script: list[Answer] | None = None,
        default: Callable[[str, dict, bytes], Answer] | None = None,
    ) -> None:
        self.script = list(script or [])
        self.default = default
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fake.requests.append((method, self.path, dict(self.headers), body))
                if fake.script:
                    answer = fake.script.pop(0)
                elif fake.default:
                    answer = fake.default(self.path, dict(self.headers), body)
                else:
                    answer = (200, {}, {})
                if answer == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                status, headers, payload = answer
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                self._serve("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._serve("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
