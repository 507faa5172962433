"""Pre-rendered answers for the extractor-only benchmark (issue 17 item 5).

The stand-in shares the CPUs with the extractor, so an extraction against it measures both. Here
every answer is rendered first and served from memory afterwards, so the client is what is timed:

1. :class:`Recorder` — a proxy in front of the sandbox: one extraction through it (into a scratch
   database) keeps every answer, keyed by method, path and body. Links the sandbox puts in its
   answers (the bulk result files) are rewritten to a placeholder.
2. ``python -m benchmarks.harness.replay FILE`` — a process of its own that loads the recording,
   puts its own address in the placeholders once, and answers each request with the recorded
   bytes (HTTP/1.1 keep-alive). A request that was never recorded gets a 404 and is counted
   (``GET /_replay/stats``): a replay that misses would measure nothing.

The same request answered differently over time (a bulk operation's status polls) replays its
last answer: the operation is finished, as it would be on Shopify by then.
"""

from __future__ import annotations

import json
import pickle
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from benchmarks.harness.memory import peak_rss_mb
from benchmarks.harness.proc import reset_signals, stop
from warehouse.settings import REPO_ROOT

PLACEHOLDER = b"http://replay.invalid"
KEPT_HEADERS = ("content-type", "retry-after", "link")
Key = tuple[str, str, bytes]
Answer = tuple[int, list[tuple[str, str]], bytes]


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real APIs

    def setup(self) -> None:
        super().setup()
        # An answer goes out in two writes (headers, then body): with Nagle's algorithm on, the
        # body waits for the client's delayed ACK of the headers, 40 ms per answer on a kept-
        # alive connection. Real API front ends do not stall so; neither does the replay.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _relink(headers: list[tuple[str, str]], old: bytes, new: bytes) -> list[tuple[str, str]]:
    return [(k, v.replace(old.decode(), new.decode())) for k, v in headers]


# --- recording ----------------------------------------------------------------------------------


@dataclass
class Recorder:
    """A recording proxy in front of ``upstream`` (in a thread of the benchmark process)."""

    upstream: str
    answers: dict[Key, Answer] = field(default_factory=dict)
    url: str = ""

    def __post_init__(self) -> None:
        recorder = self
        local = threading.local()
        upstream = self.upstream.rstrip("/").encode()

        class Handler(_Quiet):
            def _proxy(self) -> None:
                body = self._body()
                session = getattr(local, "session", None) or requests.Session()
                local.session = session
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                answer = session.request(
                    self.command,
                    recorder.upstream.rstrip("/") + self.path,
                    data=body or None,
                    headers=headers,
                    timeout=3600,
                )
                kept = [(k, v) for k, v in answer.headers.items() if k.lower() in KEPT_HEADERS]
                if answer.status_code < 500 and answer.status_code != 429:
                    recorder.answers[(self.command, self.path, body)] = (
                        answer.status_code,
                        _relink(kept, upstream, PLACEHOLDER),
                        answer.content.replace(upstream, PLACEHOLDER),
                    )
                # the client follows the links through the proxy too (bulk files are recorded)
                mine = recorder.url.encode()
                self._send(
                    answer.status_code,
                    _relink(kept, upstream, mine),
                    answer.content.replace(upstream, mine),
                )

            do_GET = do_POST = do_PUT = do_DELETE = _proxy  # noqa: N815 - http.server names

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def env(self, env: dict[str, str]) -> dict[str, str]:
        """The extractor settings with the sandbox's address replaced by the proxy's."""
        return {k: v.replace(self.upstream.rstrip("/"), self.url) for k, v in env.items()}

    def save(self, path: Path) -> int:
        """Write the recording; returns its size in bytes."""
        self._server.shutdown()
        self._server.server_close()
        data = pickle.dumps(self.answers, protocol=pickle.HIGHEST_PROTOCOL)
        path.write_bytes(data)
        return len(data)


# --- replaying ----------------------------------------------------------------------------------


@dataclass
class Replay:
    """The replay server child process and the address it serves on."""

    process: subprocess.Popen
    url: str

    def env(self, env: dict[str, str], upstream: str) -> dict[str, str]:
        return {k: v.replace(upstream.rstrip("/"), self.url) for k, v in env.items()}

    def stats(self) -> dict[str, int]:
        return requests.get(f"{self.url}/_replay/stats", timeout=30).json()

    def peak_rss_mb(self) -> float | None:
        return peak_rss_mb(self.process.pid)

    def stop(self) -> None:
        stop(self.process)


def start_replay(recording: Path, timeout: float = 600) -> Replay:
    """Start the replay server on ``recording`` in a process of its own; wait for its address."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.harness.replay", str(recording)],
        cwd=str(REPO_ROOT),
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=reset_signals,  # noqa: PLW1509
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("http://"):
        proc.kill()
        raise RuntimeError(f"the replay server did not start (it printed {line!r})")
    return Replay(proc, line)


def serve(recording: Path) -> None:
    """The replay server (run in its own process): every answer from memory."""
    answers: dict[Key, Answer] = pickle.loads(recording.read_bytes())  # noqa: S301 - our file
    stats = {"answered": 0, "missed": 0, "recorded": len(answers)}
    lock = threading.Lock()

    class Handler(_Quiet):
        def _replay(self) -> None:
            body = self._body()
            if self.path == "/_replay/stats":
                self._send(200, [("Content-Type", "application/json")], json.dumps(stats).encode())
                return
            answer = answers.get((self.command, self.path, body))
            with lock:
                stats["answered" if answer else "missed"] += 1
            if answer is None:
                miss = json.dumps({"errors": f"not recorded: {self.command} {self.path}"})
                self._send(404, [("Content-Type", "application/json")], miss.encode())
                return
            self._send(*answer)

        do_GET = do_POST = do_PUT = do_DELETE = _replay  # noqa: N815 - http.server names

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_address[1]}".encode()
    for key, (status, headers, content) in list(answers.items()):  # render the links once
        answers[key] = (
            status,
            _relink(headers, PLACEHOLDER, base),
            content.replace(PLACEHOLDER, base),
        )
    print(base.decode(), flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
