"""The ``query:`` search argument, for the terms the sandbox understands (``updated_at``,
``created_at`` with ``>= > <= < :``); other terms are reported back as warnings and ignored,
as Shopify does with fields it cannot search on."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

_TERM = re.compile(
    r"""(?P<field>\w+):(?P<op>>=|<=|>|<|=)?(?P<value>'[^']*'|"[^"]*"|\S+)""",
)
SUPPORTED = {"updated_at": "updatedAt", "created_at": "createdAt"}


@dataclass
class Filter:
    payload_key: str
    op: str
    value: datetime

    def matches(self, stamp: datetime) -> bool:
        if self.op == ">=":
            return stamp >= self.value
        if self.op == ">":
            return stamp > self.value
        if self.op == "<=":
            return stamp <= self.value
        if self.op == "<":
            return stamp < self.value
        return stamp == self.value


@dataclass
class Search:
    filters: list[Filter] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    def bounds(self, key: str) -> tuple[datetime | None, datetime | None]:
        """Inclusive (lower, upper) bounds for the store scan; exact checks happen per record."""
        lower = upper = None
        for f in self.filters:
            if f.payload_key != key:
                continue
            if f.op in (">=", ">", "=") and (lower is None or f.value > lower):
                lower = f.value
            if f.op in ("<=", "<", "=") and (upper is None or f.value < upper):
                upper = f.value
        return lower, upper

    def matches(self, updated_at: datetime, payload: dict) -> bool:
        """``updated_at`` terms test the store's record time (for products the max of the
        product and its variants, as docs/raw-landing.md defines it)."""
        for f in self.filters:
            if f.payload_key == "updatedAt":
                stamp = updated_at
            else:
                raw = payload.get(f.payload_key)
                if raw is None:
                    return False
                stamp = parse_time(raw)
            if not f.matches(stamp):
                return False
        return True


def parse_time(text: str) -> datetime:
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp


def parse_search(query: str | None) -> Search:
    search = Search()
    if not query:
        return search
    for token in re.split(r"\s+(?:AND\s+)?", query.strip()):
        match = _TERM.fullmatch(token)
        if not match:
            if token and token.upper() != "AND":
                search.warnings.append(
                    {"field": token, "message": "Invalid search field for this query."}
                )
            continue
        name, op, value = match["field"], match["op"] or "=", match["value"].strip("'\"")
        if name not in SUPPORTED:
            search.warnings.append(
                {"field": name, "message": "Invalid search field for this query."}
            )
            continue
        try:
            stamp = parse_time(value)
        except ValueError:
            search.warnings.append({"field": name, "message": f"Invalid date value {value!r}."})
            continue
        search.filters.append(Filter(SUPPORTED[name], op, stamp))
    return search
