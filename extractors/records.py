"""Turning source records into landable rows: id, updated_at, payload text — or a reason why not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from warehouse.json_codec import JSONDecodeError, dumps, dumps_bytes, loads

__all__ = ["JSONDecodeError", "dumps", "dumps_bytes", "loads"]  # re-exported for the extractors


class RecordError(ValueError):
    """The record cannot be landed; the message is the quarantine reason."""


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    updated_at: datetime
    payload: str  # JSON text


def parse_timestamp(value: Any) -> datetime:
    """ISO-8601 string or epoch seconds -> aware UTC datetime; RecordError otherwise."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, bool) or value is None or value == "":
        raise RecordError(f"missing timestamp ({value!r})")
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise RecordError(f"unparseable epoch timestamp {value!r}") from None
    if isinstance(value, str):
        text = value.strip()
        if text.replace(".", "", 1).isdigit():
            return parse_timestamp(float(text))
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise RecordError(f"unparseable timestamp {value!r}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed
    raise RecordError(f"unparseable timestamp {value!r}")


def make_row(record_id: Any, updated_at: Any, payload: Any, field: str = "updatedAt") -> Row:
    return _row(record_id, updated_at, payload, None, field)


def make_text_row(
    record_id: Any, updated_at: Any, payload_text: str, field: str = "updatedAt"
) -> Row:
    """``make_row`` for a payload already serialised (``dumps``'s text): the same checks."""
    return _row(record_id, updated_at, None, payload_text, field)


def _row(record_id: Any, updated_at: Any, payload: Any, text: str | None, field: str) -> Row:
    if record_id is None or record_id == "":
        raise RecordError("missing id")
    try:
        when = parse_timestamp(updated_at)
    except RecordError as exc:
        raise RecordError(f"{field}: {exc}") from None
    if text is None:
        text = dumps(payload)
    if "\\u0000" in text:
        raise RecordError("payload contains a NUL character (not storable as jsonb)")
    return Row(str(record_id), when, text)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def later(a: str | None, b: str | None) -> str | None:
    """The later of two ISO timestamps (either may be missing)."""
    if not a or not b:
        return a or b
    return a if parse_timestamp(a) >= parse_timestamp(b) else b


def earlier(a: str | None, b: str | None) -> str | None:
    """The earlier of two ISO timestamps (either may be missing)."""
    if not a or not b:
        return a or b
    return a if parse_timestamp(a) <= parse_timestamp(b) else b
