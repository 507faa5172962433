"""Pre-rendered answers for the extractor-only benchmark (issue 17 item 5).

The stand-in shares the CPUs with the extractor, so an extraction against it measures both. Here
every answer is rendered first and served from memory afterwards, so the client is what is timed:

1. :class:`Recorder` — a proxy in front of the sandbox: one extraction through it (into a scratch
   database) keeps every answer, keyed by method, path and body. Links the sandbox puts in its
   answers (the bulk result files) are rewritten to a placeholder.
2. ``python -m benchmarks.harness.replay FILE`` — a process of its own that loads the recording,
   puts its own address in the placeholders and renders every answer's status line and headers
   once, then answers each request with the recorded bytes (HTTP/1.1 keep-alive). A request
   that was never recorded gets a 404 and is counted (``GET /_replay/stats``): a replay that
   misses would measure nothing.

The replay server takes CPU from the client and PostgreSQL it shares the machine with, so it is
one thread on one epoll with non-blocking sockets (:class:`_ReplayServer`, Linux): a minimal
request parser (request line, headers to the blank line, ``Content-Length`` bytes of body, which
may arrive in several segments) and one ``send``/``sendmsg`` of pre-rendered buffers per answer;
what a slow reader's socket does not take is kept as memoryviews of the recording, never copied.
It answers as ``http.server`` did, less its ``Server`` and ``Date`` headers, for a quarter to a
third of the CPU per request (docs/benchmarks.md).

The same request answered differently over time (a bulk operation's status polls) replays its
last answer: the operation is finished, as it would be on Shopify by then.
"""

from __future__ import annotations

import contextlib
import json
import pickle
import select
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from benchmarks.harness.memory import peak_rss_mb
from benchmarks.harness.proc import reset_signals, stop
from warehouse.settings import REPO_ROOT

PLACEHOLDER = b"http://replay.invalid"
MISSES_KEPT = 20  # requests never recorded, named in the stats (the first ones)
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

    def stats(self) -> dict[str, Any]:
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


Buffer = bytes | memoryview


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""  # http.server sends an empty reason for a code it does not know


def _head(status: int, headers: list[tuple[str, str]], length: int) -> bytes:
    """Status line and headers of one answer, as http.server writes them (Content-Length last)."""
    lines = [f"HTTP/1.1 {status} {_reason(status)}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _rendered(status: int, headers: list[tuple[str, str]], body: bytes) -> tuple[Buffer, ...]:
    """The buffers one answer is sent from: one bytes object for a small answer (one send), the
    head and a view of the body for a large one (one sendmsg; the body is never copied)."""
    head = _head(status, headers, len(body))
    if len(body) <= _JOIN_BELOW:
        return (head + body,)
    return (head, memoryview(body))


_JOIN_BELOW = 64 * 1024  # a body up to this size is sent glued to its head (one copy, at start)
_MAX_HEAD = 64 * 1024  # request line and headers larger than this: the connection is dropped
_RECV = 256 * 1024
_JSON = [("Content-Type", "application/json")]
_CONTINUE = (b"HTTP/1.1 100 Continue\r\n\r\n",)


class _Connection:
    __slots__ = ("sock", "data", "out", "closing", "continued")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.data = b""  # received, not yet answered
        self.out: list[memoryview] = []  # the rest of an answer the socket did not take yet
        self.closing = False  # the client asked for Connection: close
        self.continued = False  # 100 Continue sent for the request being received


class _ReplayServer:
    """One thread, one epoll: answers recorded bytes with as few system calls as possible.

    A request is read up to its blank line, then ``Content-Length`` bytes of body (it may come in
    several segments); its answer goes out with one ``send``/``sendmsg`` of pre-rendered buffers.
    What the socket does not take at once is kept as memoryviews of the recording (no copy, no
    memory per download) and sent when the socket is writable again; meanwhile that connection
    is not read (a slow reader holds back only itself). Requests pipelined on one connection are
    answered in order.
    """

    def __init__(self, answers: dict[Key, Answer]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
        self.listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.listener.setblocking(False)
        self.base = f"http://127.0.0.1:{self.listener.getsockname()[1]}".encode()
        self.stats: dict[str, Any] = {"answered": 0, "missed": 0, "recorded": len(answers)}
        self.stats["missed_requests"] = []  # the first MISSES_KEPT ones, "METHOD target"
        # render the links and every answer's head once; the recording's own keys are str
        self.answers: dict[tuple[bytes, bytes, bytes], tuple[Buffer, ...]] = {}
        while answers:  # popped: a relinked body replaces its original rather than doubling it
            (method, path, body), (status, headers, content) = answers.popitem()
            self.answers[(method.encode("latin-1"), path.encode("latin-1"), body)] = _rendered(
                status,
                _relink(headers, PLACEHOLDER, self.base),
                content.replace(PLACEHOLDER, self.base),
            )
        self.connections: dict[int, _Connection] = {}
        self.received = memoryview(bytearray(_RECV))
        self.epoll = select.epoll()
        self.epoll.register(self.listener.fileno(), select.EPOLLIN)

    def serve_forever(self) -> None:
        listening = self.listener.fileno()
        connections = self.connections
        poll = self.epoll.poll
        while True:
            for fd, _events in poll():
                if fd == listening:
                    self._accept()
                    continue
                conn = connections.get(fd)
                if conn is None:
                    continue
                if conn.out:  # registered for EPOLLOUT only while an answer is going out
                    if self._flush(conn):
                        self._resume(conn)
                else:
                    self._read(conn)

    def _accept(self) -> None:
        while True:
            try:
                sock, _address = self.listener.accept()
            except OSError:  # none left (BlockingIOError), out of descriptors, reset, ...
                return
            sock.setblocking(False)
            # one write per answer already, but a large answer's rest goes out as the socket
            # drains: it must not wait for the client's delayed ACK (Nagle's algorithm)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.connections[sock.fileno()] = _Connection(sock)
            self.epoll.register(sock.fileno(), select.EPOLLIN)

    def _close(self, conn: _Connection) -> None:
        fd = conn.sock.fileno()
        self.connections.pop(fd, None)
        with contextlib.suppress(OSError, ValueError):
            self.epoll.unregister(fd)
        conn.sock.close()

    def _read(self, conn: _Connection) -> None:
        try:
            size = conn.sock.recv_into(self.received)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            size = 0
        if not size:
            self._close(conn)
            return
        # into one buffer kept for every read: recv(n) would allocate n bytes per call (an mmap,
        # mremap and munmap each for a large n) and shrink them to the few hundred received
        chunk = self.received[:size].tobytes()
        conn.data = conn.data + chunk if conn.data else chunk
        self._answer(conn)

    def _answer(self, conn: _Connection) -> None:
        """Answer the complete requests received on ``conn``, while each answer goes out at once."""
        while not conn.out:
            data = conn.data
            end = data.find(b"\r\n\r\n")
            if end < 0:
                if len(data) > _MAX_HEAD:
                    self._close(conn)
                return
            head = data[:end]
            lowered = head.lower()
            length = 0
            at = lowered.find(b"\r\ncontent-length:")
            if at >= 0:
                stop = lowered.find(b"\r\n", at + 17)
                try:
                    length = int(head[at + 17 : stop if stop >= 0 else end])
                except ValueError:
                    length = -1
                if length < 0:
                    self._close(conn)
                    return
            start = end + 4
            if len(data) < start + length:  # the body is still on its way
                if not conn.continued and lowered.find(b"\r\nexpect: 100-continue") >= 0:
                    conn.continued = True  # the client waits for this before its body (curl)
                    self._send(conn, _CONTINUE)
                return
            conn.continued = False
            conn.data = data[start + length :]
            line = head[: head.find(b"\r\n")] if b"\r\n" in head else head
            parts = line.split(b" ")
            if len(parts) != 3:
                self._close(conn)
                return
            method, target, version = parts
            conn.closing = _wants_close(lowered, version)
            buffers = self.answers.get((method, target, data[start : start + length]))
            if buffers is not None:
                self.stats["answered"] += 1
            elif target == b"/_replay/stats":
                buffers = _rendered(200, _JSON, json.dumps(self.stats).encode())
            else:
                self.stats["missed"] += 1
                request = f"{method.decode('latin-1')} {target.decode('latin-1')}"
                if len(self.stats["missed_requests"]) < MISSES_KEPT:
                    self.stats["missed_requests"].append(request)
                miss = json.dumps({"errors": f"not recorded: {request}"}).encode()
                buffers = _rendered(404, _JSON, miss)
            if not self._send(conn, buffers):
                return  # the rest goes out when the socket drains (or the connection is gone)
            if conn.closing:
                self._close(conn)
                return

    def _send(self, conn: _Connection, buffers: tuple[Buffer, ...]) -> bool:
        """Send an answer; True when the socket took all of it."""
        try:
            sent = conn.sock.send(buffers[0]) if len(buffers) == 1 else conn.sock.sendmsg(buffers)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._close(conn)
            return False
        rest: list[memoryview] = []
        for buffer in buffers:
            if sent >= len(buffer):
                sent -= len(buffer)
                continue
            rest.append(memoryview(buffer)[sent:])
            sent = 0
        if not rest:
            return True
        conn.out = rest
        self.epoll.modify(conn.sock.fileno(), select.EPOLLOUT)
        return False

    def _flush(self, conn: _Connection) -> bool:
        """Send more of a pending answer; True when it is all out."""
        out = conn.out
        try:
            sent = conn.sock.sendmsg(out) if len(out) > 1 else conn.sock.send(out[0])
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            self._close(conn)
            return False
        while out and sent >= len(out[0]):
            sent -= len(out.pop(0))
        if out:
            out[0] = out[0][sent:]
            return False
        return True

    def _resume(self, conn: _Connection) -> None:
        if conn.closing:
            self._close(conn)
            return
        self.epoll.modify(conn.sock.fileno(), select.EPOLLIN)
        self._answer(conn)  # requests that came in while the answer was going out


def _wants_close(lowered_head: bytes, version: bytes) -> bool:
    """HTTP/1.1 keeps the connection unless told ``close``; HTTP/1.0 only on ``keep-alive``."""
    at = lowered_head.find(b"\r\nconnection:")
    if at < 0:
        return version != b"HTTP/1.1"
    stop = lowered_head.find(b"\r\n", at + 13)
    value = lowered_head[at + 13 : stop if stop >= 0 else len(lowered_head)].strip()
    if value == b"close":
        return True
    return version != b"HTTP/1.1" and value != b"keep-alive"


def serve(recording: Path) -> None:
    """The replay server (run in its own process): every answer from memory."""
    answers: dict[Key, Answer] = pickle.loads(recording.read_bytes())  # noqa: S301 - our file
    server = _ReplayServer(answers)
    print(server.base.decode(), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
