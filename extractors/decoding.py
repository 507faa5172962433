"""Content-Encoding decoders for the fast HTTP path, decoding as urllib3 2.x does.

``gzip``/``x-gzip`` (several members allowed; garbage after a complete member ignored) and
``deflate`` (zlib-wrapped, falling back to raw deflate when the first bytes are not zlib). A
comma-separated list is undone right to left, each coding read as gzip or else deflate, as
urllib3 reads it when it names at least one known coding; any other single value is left as is.
A failure raises urllib3's ``DecodeError`` (what the client calls ContentDecodingError).
"""

from __future__ import annotations

import zlib
from typing import Protocol

from urllib3.exceptions import DecodeError

_KNOWN = ("gzip", "x-gzip", "deflate")
_MAX_CODINGS = 5  # as urllib3: a longer chain is refused


class Decoder(Protocol):
    def decompress(self, data: bytes) -> bytes: ...

    def flush(self) -> bytes: ...


class GzipDecoder:
    def __init__(self) -> None:
        self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._later_member = False  # past the end of the first member
        self._swallow = False  # after an error in a later member: ignore the rest

    def decompress(self, data: bytes) -> bytes:
        if self._swallow:
            return b""
        out = bytearray()
        while data:
            try:
                out += self._obj.decompress(data)
            except zlib.error:
                self._swallow = True
                if self._later_member:
                    break  # trailing garbage after a complete member
                raise
            data = self._obj.unused_data
            if not data or not self._obj.eof:
                break
            self._later_member = True
            self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return bytes(out)

    def flush(self) -> bytes:
        return b"" if self._swallow else self._obj.flush()


class DeflateDecoder:
    def __init__(self) -> None:
        self._obj = zlib.decompressobj()
        self._first = True  # still deciding between zlib and raw deflate
        self._seen = b""  # bytes fed while deciding (replayed as raw deflate)

    def decompress(self, data: bytes) -> bytes:
        if self._obj.eof or not data:
            return b""
        if not self._first:
            return self._obj.decompress(data)
        self._seen += data
        try:
            out = self._obj.decompress(data)
        except zlib.error:
            self._first = False
            self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
            seen, self._seen = self._seen, b""
            return self.decompress(seen)
        if out:
            self._first = False
            self._seen = b""
        return out

    def flush(self) -> bytes:
        return self._obj.flush()


class ChainDecoder:
    def __init__(self, codings: list[str]) -> None:
        self._decoders = [_single(c) for c in codings]

    def decompress(self, data: bytes) -> bytes:
        for decoder in reversed(self._decoders):
            data = decoder.decompress(data)
        return data

    def flush(self) -> bytes:
        return self._decoders[0].flush()


def _single(coding: str) -> Decoder:
    return GzipDecoder() if coding in ("gzip", "x-gzip") else DeflateDecoder()


def decoder_for(content_encoding: str) -> Decoder | None:
    """The decoder for a ``Content-Encoding`` value (values joined by ", "), or None."""
    value = content_encoding.lower()
    if value in _KNOWN:
        return _single(value)
    if "," not in value:
        return None
    codings = [c.strip() for c in value.split(",")]
    if not any(c in _KNOWN for c in codings):
        return None
    if len(codings) > _MAX_CODINGS:
        raise DecodeError(f"Too many content encodings in the chain: {len(codings)} > 5")
    return ChainDecoder(codings)


def decode(decoder: Decoder, data: bytes, content_encoding: str, final: bool) -> bytes:
    """``data`` decoded (and the decoder flushed when ``final``); DecodeError on bad data."""
    try:
        out = decoder.decompress(data)
        if final:
            out += decoder.decompress(b"") + decoder.flush()
    except (OSError, zlib.error) as exc:
        raise DecodeError(
            f"Received response with content-encoding: {content_encoding.lower()}, but "
            "failed to decode it.",
            exc,
        ) from exc
    return out
