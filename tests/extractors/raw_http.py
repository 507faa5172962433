"""A byte-level local HTTP server for client tests: it records each request exactly as it came
off the wire and answers with the bytes a handler returns (cut short, chunked, then closed...)."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable

# handler(request number from 0, raw request) -> (bytes to send, keep the connection open)
Handler = Callable[[int, bytes], tuple[bytes, bool]]


def answer(
    body: bytes,
    headers: dict[str, str] | None = None,
    status: int = 200,
    length: int | None = None,
    chunked: bool = False,
) -> bytes:
    """A response: Content-Length ``length`` (default the body's) unless ``chunked``."""
    head = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    if chunked:
        head.append("Transfer-Encoding: chunked")
        step = max(1, len(body) // 3)
        pieces = [body[i : i + step] for i in range(0, len(body), step)]
        body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    else:
        head.append(f"Content-Length: {len(body) if length is None else length}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class RawServer:
    def __init__(self, handler: Handler, tls: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.tls = tls
        self.requests: list[bytes] = []
        self.connections = 0
        self.closed = 0  # connections this server has closed
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open.append(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            if self.tls:
                sock = self.tls.wrap_socket(sock, server_side=True)
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = sock.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(buffer) < length:
                    buffer += sock.recv(65536)
                request, buffer = head + b"\r\n\r\n" + buffer[:length], buffer[length:]
                with self._lock:
                    number = len(self.requests)
                    self.requests.append(request)
                data, keep = self.handler(number, request)
                if data:
                    sock.sendall(data)
                if not keep:
                    return
        except OSError:
            return
        finally:
            sock.close()
            with self._lock:
                self.closed += 1

    def stop(self) -> None:
        self._listener.close()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked reading it
                sock.close()

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
