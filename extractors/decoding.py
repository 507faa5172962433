"""Content-Encoding decoding for the fast HTTP path: urllib3's own decoders, chosen as urllib3
chooses them (``BaseHTTPResponse._init_decoder``).

``gzip``/``x-gzip`` (several members allowed) and ``deflate`` (zlib-wrapped, else raw deflate);
a comma-separated list naming at least one of them is undone right to left (urllib3's
``MultiDecoder``, which refuses more than 5); any other single value is left as it is. A
failure raises urllib3's ``DecodeError`` (what the client calls ContentDecodingError).
"""

from __future__ import annotations

import zlib

from urllib3.exceptions import DecodeError
from urllib3.response import ContentDecoder, DeflateDecoder, GzipDecoder, MultiDecoder

_KNOWN = ("gzip", "x-gzip", "deflate")  # what the client's Accept-Encoding asks for

Decoder = ContentDecoder


def decoder_for(content_encoding: str) -> Decoder | None:
    """The decoder for a ``Content-Encoding`` value (values joined by ", "), or None."""
    value = content_encoding.lower()
    if value in _KNOWN:
        return GzipDecoder() if value in ("gzip", "x-gzip") else DeflateDecoder()
    if "," in value and any(c.strip() in _KNOWN for c in value.split(",")):
        return MultiDecoder(value)
    return None


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
