"""JSON in and out on the hot paths: the one place orjson (a declared dependency) is imported.

Compact output, byte-identical to ``json.dumps(value, separators=(",", ":"),
ensure_ascii=False)`` for the payloads we handle; used by the extractors and the sandbox.
"""

from __future__ import annotations

from typing import Any

import orjson

JSONDecodeError = orjson.JSONDecodeError
# orjson refuses what it cannot encode exactly (e.g. an integer wider than 64 bits) with this
JSONEncodeError = orjson.JSONEncodeError


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def dumps_bytes(value: Any, non_str_keys: bool = False) -> bytes:
    """UTF-8 JSON bytes; ``non_str_keys`` also encodes dicts keyed by ints, dates..."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS if non_str_keys else None)


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)
