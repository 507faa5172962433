"""The light path for the common HTTP call: kept-alive ``http.client`` connections.

``HttpClient`` sends a GET or POST to a plain http(s) URL that no proxy applies to through here
instead of urllib3's PoolManager: about 40% less client CPU per call, the same request on
the wire (request line, Host, the caller's headers, Content-Length), the same timeouts (the
connect timeout while connecting and sending, the read timeout while waiting and reading) and
failures raised as the urllib3 exceptions the client already classifies and retries. Anything
else (another method, a URL urllib3 would rewrite) is left to urllib3: the request returns None
and the caller sends it there (and a redirect answer's Location too).

Pools as urllib3 keeps them: idle connections per (scheme, host, port), at most 16 kept per
host (more may be open at once; the surplus is closed when done) and 4 hosts; a connection is
used by one thread at a time, and one whose answer was not read to the end is closed, never
pooled. A kept-alive connection the server has closed since (readable while idle: end of file)
is replaced by a new one before sending, as urllib3 does; a failure after the request went out
is the caller's to retry.
"""

from __future__ import annotations

import errno
import http.client
import re
import select
import socket
import ssl
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from extractors.decoding import Decoder, decode, decoder_for

NUM_POOLS = 4  # hosts kept (urllib3's num_pools)
MAXSIZE = 16  # idle connections kept per host (urllib3's maxsize)
REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))  # followed when they name a Location
_SEND_IGNORED = frozenset((errno.EPROTOTYPE, errno.ECONNRESET))  # the answer may still come
_BLOCKING = frozenset((errno.EAGAIN, errno.EWOULDBLOCK))
# A URL urllib3 sends unchanged: lower-case host name or IPv4 address, optional port, a path
# and query of characters it leaves as they are (percent escapes in upper case), no fragment.
_SEGMENT = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-F]{2})"
_PLAIN_URL = re.compile(
    r"(https?)://([a-z0-9](?:[a-z0-9.\-]*[a-z0-9])?)(?::([0-9]{1,5}))?"
    rf"((?:/{_SEGMENT}*)*)(\?(?:{_SEGMENT}|[/?])*)?\Z"
)
_DEFAULT_PORTS = {"http": 80, "https": 443}

Key = tuple[str, str, int]


class FastPath:
    """Kept-alive connections for one ``HttpClient`` (thread-safe)."""

    def __init__(self, connect_timeout: float, read_timeout: float, ca_certs: str) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._ca_certs = ca_certs  # the CA bundle urllib3's pools were given
        self._context: ssl.SSLContext | None = None
        self._idle: OrderedDict[Key, list[http.client.HTTPConnection]] = OrderedDict()
        self._lock = threading.Lock()

    def request(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        stream: bool,
    ) -> FastResponse | None:
        """The answer (body read unless ``stream``), or None when urllib3 should send it."""
        if method != "GET" and method != "POST":
            return None
        match = _PLAIN_URL.match(url)
        if match is None:
            return None
        scheme, host, port_text, path, query = match.groups()
        port = int(port_text) if port_text else _DEFAULT_PORTS[scheme]
        if not 0 < port < 65536:
            return None
        key = (scheme, host, port)
        conn = self._take(key) or self._connect(key, url)
        try:
            response = self._exchange(
                conn, key, method, (path or "/") + (query or ""), body, headers
            )
            if not stream:
                response.preload()
        except BaseException:
            conn.close()
            raise
        return response

    def _exchange(
        self,
        conn: http.client.HTTPConnection,
        key: Key,
        method: str,
        target: str,
        body: bytes | None,
        headers: Mapping[str, str],
    ) -> FastResponse:
        sock = conn.sock
        sock.settimeout(self.connect_timeout)  # urllib3 sends under the connect timeout
        try:
            conn.request(method, target, body, headers)
        except BrokenPipeError:
            pass  # the server may have answered and closed: read the answer
        except ssl.SSLError as exc:
            raise SSLError(exc) from exc
        except OSError as exc:
            if exc.errno not in _SEND_IGNORED:
                raise ProtocolError("Connection aborted.", exc) from exc
        except http.client.HTTPException as exc:
            raise ProtocolError("Connection aborted.", exc) from exc
        sock.settimeout(self.read_timeout)
        try:
            raw = conn.getresponse()
        except (TimeoutError, ssl.SSLError, OSError, http.client.HTTPException) as exc:
            if isinstance(exc, TimeoutError) or getattr(exc, "errno", None) in _BLOCKING:
                raise ReadTimeoutError(
                    None, target, f"Read timed out. (read timeout={self.read_timeout})"
                ) from exc
            if isinstance(exc, ssl.SSLError):
                raise SSLError(exc) from exc
            raise ProtocolError("Connection aborted.", exc) from exc
        return FastResponse(raw, conn, lambda: self._put(key, conn))

    def _take(self, key: Key) -> http.client.HTTPConnection | None:
        with self._lock:
            idle = self._idle.get(key)
            if not idle:
                return None
            self._idle.move_to_end(key)
            conn = idle.pop()  # the most recently used (urllib3 keeps a LIFO queue)
        if _dropped(conn.sock):
            conn.close()  # closed by the server while idle: a new one, no failure
            return None
        return conn

    def _put(self, key: Key, conn: http.client.HTTPConnection) -> None:
        closed: list[http.client.HTTPConnection] = []
        with self._lock:
            idle = self._idle.get(key)
            if idle is None:
                idle = self._idle[key] = []
                while len(self._idle) > NUM_POOLS:
                    closed += self._idle.popitem(last=False)[1]
            else:
                self._idle.move_to_end(key)
            if len(idle) < MAXSIZE:
                idle.append(conn)
            else:
                closed.append(conn)
        for extra in closed:
            extra.close()

    def clear(self) -> None:
        with self._lock:
            pools, self._idle = list(self._idle.values()), OrderedDict()
        for idle in pools:
            for conn in idle:
                conn.close()

    def _connect(self, key: Key, url: str) -> http.client.HTTPConnection:
        scheme, host, port = key
        timeout = self.connect_timeout
        try:
            sock = socket.create_connection((host, port), timeout)
        except socket.gaierror as exc:
            raise NameResolutionError(host, None, exc) from exc  # type: ignore[arg-type]
        except TimeoutError as exc:
            raise ConnectTimeoutError(
                None, f"Connection to {host} timed out. (connect timeout={timeout})"
            ) from exc
        except OSError as exc:
            raise NewConnectionError(
                None,  # type: ignore[arg-type]
                f"Failed to establish a new connection: {exc}",
            ) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if scheme == "http":
            conn = http.client.HTTPConnection(host, port, timeout)
        else:
            try:
                context = self._tls_context()
                sock = context.wrap_socket(sock, server_hostname=host)
            except BaseException as exc:
                sock.close()
                if isinstance(exc, TimeoutError):  # in the handshake: urllib3 says read
                    raise ReadTimeoutError(
                        None, url, f"Read timed out. (read timeout={timeout})"
                    ) from exc
                if isinstance(exc, ssl.SSLError):  # certificate and host name checks too
                    raise SSLError(exc) from exc
                if isinstance(exc, OSError):
                    raise ProtocolError("Connection aborted.", exc) from exc
                raise
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
        conn.sock = sock
        return conn

    def _tls_context(self) -> ssl.SSLContext:
        """One context for every connection: urllib3's settings, the client's CA bundle,
        host names checked."""
        context = self._context
        if context is None:
            context = urllib3.util.create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
            try:
                context.load_verify_locations(self._ca_certs)
            except OSError as exc:  # a missing or bad bundle, as urllib3 says it
                raise SSLError(exc) from exc
            context.set_alpn_protocols(["http/1.1"])
            self._context = context
        return context


class FastResponse:
    """What ``HttpClient`` and its callers use of urllib3's response: ``status``,
    ``headers.get``, ``data``, ``stream(n)``, ``close``, ``release_conn``."""

    def __init__(
        self,
        raw: http.client.HTTPResponse,
        conn: http.client.HTTPConnection,
        reuse: Callable[[], None],
    ) -> None:
        self.status = raw.status
        self._raw = raw
        self._conn: http.client.HTTPConnection | None = conn
        self._reuse = reuse
        self._body: bytes | None = None
        self._headers: urllib3.HTTPHeaderDict | None = None
        encodings = raw.msg.get_all("Content-Encoding")
        self._encoding = ", ".join(encodings) if encodings else ""
        self._decoder: Decoder | None = decoder_for(self._encoding) if encodings else None

    @property
    def headers(self) -> urllib3.HTTPHeaderDict:
        if self._headers is None:
            self._headers = urllib3.HTTPHeaderDict(self._raw.msg.items())
        return self._headers

    @property
    def data(self) -> bytes:
        """The whole (decoded) body, read now unless already read."""
        if self._body is None:
            self.preload()
        return self._body or b""

    def preload(self) -> None:
        try:
            raw = _read(self._raw, None)
            self._body = self._decoded(raw, True)
        except BaseException:
            self._discard()
            raise
        self._done()

    def stream(self, amt: int = 1 << 16) -> Iterator[bytes]:
        """The (decoded) body in pieces of about ``amt`` read bytes."""
        if self._body is not None:
            if self._body:
                yield self._body
            return
        try:
            while True:
                chunk = _read(self._raw, amt)
                if not chunk:
                    break
                piece = self._decoded(chunk, False)
                if piece:
                    yield piece
            tail = self._decoded(b"", True)
        except BaseException:
            self._discard()
            raise
        self._body = b""
        self._done()
        if tail:
            yield tail

    def _decoded(self, data: bytes, final: bool) -> bytes:
        if self._decoder is None:
            return data
        return decode(self._decoder, data, self._encoding, final)

    def _done(self) -> None:
        """Read to the end: the connection goes back to the pool unless the server closes it."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._raw.will_close or conn.sock is None:
            conn.close()
        else:
            self._reuse()

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        self._raw.close()
        if conn is not None:
            conn.close()

    def close(self) -> None:
        """Done with it: a connection whose answer was not read to the end is closed."""
        self._discard()

    def release_conn(self) -> None:
        self._discard()

    def drain_conn(self) -> None:
        self._discard()

    def get_redirect_location(self) -> str | None | Literal[False]:
        """As urllib3's: the Location of a redirect answer (301/302/303/307/308), else False."""
        if self.status in REDIRECT_STATUSES:
            return self.headers.get("Location")
        return False


def _read(raw: http.client.HTTPResponse, amt: int | None) -> bytes:
    """Body bytes, failures raised as urllib3 raises them (a short body is a ProtocolError)."""
    try:
        data = raw.read(amt)
        if amt and not data and raw.length:  # http.client reads a cut-short body as the end
            raise http.client.IncompleteRead(b"", raw.length)
        return data
    except TimeoutError as exc:
        raise ReadTimeoutError(None, None, "Read timed out.") from exc  # type: ignore[arg-type]
    except ssl.SSLError as exc:
        if "read operation timed out" in str(exc):
            raise ReadTimeoutError(None, None, "Read timed out.") from exc  # type: ignore[arg-type]
        raise SSLError(exc) from exc
    except http.client.IncompleteRead as exc:
        raise ProtocolError(f"Connection broken: {exc!r}", exc) from exc
    except (http.client.HTTPException, OSError) as exc:
        raise ProtocolError(f"Connection broken: {exc!r}", exc) from exc


def _dropped(sock: Any) -> bool:
    """True when an idle kept-alive socket is readable: closed by the server (or garbage)."""
    if sock is None:
        return True
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))
