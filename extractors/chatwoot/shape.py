"""The landed shape of Chatwoot records: what the REST extraction and the webhooks both land.

A record is landed as the REST API returns it, with two normalisations (docs/raw-landing.md,
"Chatwoot payloads"): Chatwoot leaves ``meta.assignee`` out of an unassigned conversation (landed
as null), and renders an absent time as ``0`` (``first_reply_created_at.to_i``; landed as null,
never as 1970-01-01). Times stay epoch seconds as the REST lists give them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from extractors.records import RecordError, Row, dumps, make_row, parse_timestamp

# conversation times Chatwoot renders with ``.to_i`` (0 when the time is absent)
ZERO_MEANS_ABSENT = (
    "first_reply_created_at",
    "waiting_since",
    "agent_last_seen_at",
    "assignee_last_seen_at",
    "contact_last_seen_at",
)


def conversation(c: dict[str, Any]) -> dict[str, Any]:
    """A REST conversation in the landed shape (assignee key present, absent times null)."""
    out = dict(c)
    meta = out.get("meta")
    if isinstance(meta, dict) and "assignee" not in meta:
        out["meta"] = {**meta, "assignee": None}
    for key in ZERO_MEANS_ABSENT:
        if key in out and out[key] in (0, "0", 0.0):
            out[key] = None
    return out


def conversation_row(c: dict[str, Any]) -> Row:
    c = conversation(c)
    stamp = c.get("updated_at") or c.get("last_activity_at")
    return make_row(c.get("id"), stamp, c, field="updated_at")


def message_row(m: dict[str, Any]) -> Row:
    return make_row(m.get("id"), m.get("updated_at") or m.get("created_at"), m, "updated_at")


def contact_row(c: dict[str, Any]) -> Row:
    return make_row(
        c.get("id"), c.get("last_activity_at") or c.get("created_at"), c, "last_activity_at"
    )


def contact_activity(c: Any) -> datetime | None:
    """A listed contact's ``last_activity_at``; None when it has none (Chatwoot leaves the key
    out then). RecordError when the record or its time cannot be read."""
    if not isinstance(c, dict):
        raise RecordError("record is not an object")
    value = c.get("last_activity_at")
    return None if value is None else parse_timestamp(value)


def csat_row(r: dict[str, Any]) -> Row:
    """A CSAT survey response: its time is when the customer answered (``created_at``)."""
    return make_row(r.get("id"), r.get("created_at"), r, "created_at")


def first_seen_row(record: dict[str, Any], now: datetime) -> Row:
    return make_row(record.get("id"), now, record)


def activity(c: dict[str, Any]) -> datetime | None:
    """The newest of a conversation's times (what orders Chatwoot's list, and its updates)."""
    stamps = []
    for key in ("last_activity_at", "updated_at", "timestamp"):
        try:
            stamps.append(parse_timestamp(c.get(key)))
        except RecordError:
            continue
    return max(stamps) if stamps else None


def epoch(value: Any) -> int | float | None:
    """A time as epoch seconds, as the REST lists give it: numbers as they are, ISO strings (as
    webhooks send some times) converted to whole seconds; absent, ``0`` or unparseable -> None."""
    if value is None or isinstance(value, bool) or value in (0, "", "0"):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int | float):
        return value
    try:
        parsed = parse_timestamp(value)
    except RecordError:
        return None
    seconds = parsed.timestamp()
    return int(seconds) if seconds == int(seconds) else seconds


def split(records: list[Any], to_row) -> tuple[list[Row], list[tuple[str, str]]]:
    """Rows, and (reason, raw text) for the records that cannot be landed."""
    rows: list[Row] = []
    bad: list[tuple[str, str]] = []
    for record in records:
        try:
            if not isinstance(record, dict):
                raise RecordError("record is not an object")
            rows.append(to_row(record))
        except RecordError as exc:
            bad.append((str(exc), dumps(record)))
    return rows, bad
