"""The ``query:`` search argument, for the terms the sandbox understands (``updated_at``,
``created_at`` with ``>= > <= < :``; for orders ``test:true|false`` and ``status:cancelled``,
either negated with a leading ``-``); other terms are reported back as warnings and ignored,
as Shopify does with fields it cannot search on."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

_TERM = re.compile(
    r"""(?P<neg>-)?(?P<field>\w+):(?P<op>>=|<=|>|<|=)?(?P<value>'[^']*'|"[^"]*"|\S+)""",
)
SUPPORTED = {"updated_at": "updatedAt", "created_at": "createdAt"}


def _is_test(payload: dict, value: str) -> bool:
    return bool(payload.get("test")) == (value.lower() == "true")


def _has_status(payload: dict, value: str) -> bool:
    if value.lower() == "cancelled":
        return payload.get("cancelledAt") is not None
    if value.lower() == "closed":
        return payload.get("closedAt") is not None
    if value.lower() == "open":
        return payload.get("closedAt") is None and payload.get("cancelledAt") is None
    return False


# order terms: name -> (payload test, accepted values)
KEYWORDS = {
    "test": (_is_test, ("true", "false")),
    "status": (_has_status, ("open", "closed", "cancelled")),
}


@dataclass
class Keyword:
    name: str
    value: str
    negated: bool

    def matches(self, payload: dict) -> bool:
        return KEYWORDS[self.name][0](payload, self.value) != self.negated


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
    keywords: list[Keyword] = field(default_factory=list)
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

    def whole_seconds(self, key: str) -> tuple[int | None, int | None] | None:
        """Inclusive (lower, upper) epoch seconds equal to the search when it holds only terms
        on ``key`` at whole seconds (records' times are whole seconds), else None."""
        if self.keywords or self.warnings:
            return None
        lower = upper = None
        for f in self.filters:
            if f.payload_key != key or f.value.microsecond:
                return None
            second = int(f.value.timestamp())
            low = {">=": second, ">": second + 1, "=": second}.get(f.op)
            high = {"<=": second, "<": second - 1, "=": second}.get(f.op)
            if low is not None:
                lower = low if lower is None else max(lower, low)
            if high is not None:
                upper = high if upper is None else min(upper, high)
        return lower, upper

    def matches(self, updated_at: datetime, payload: dict) -> bool:
        """``updated_at`` terms test the store's record time (for products the max of the
        product and its variants, as docs/raw-landing.md defines it)."""
        if not all(k.matches(payload) for k in self.keywords):
            return False
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


def parse_search(query: str | None, root: str = "") -> Search:
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
        keyword = KEYWORDS.get(name) if root in ("orders", "ordersCount") else None
        if keyword is not None and value.lower() in keyword[1]:
            search.keywords.append(Keyword(name, value.lower(), bool(match["neg"])))
            continue
        if name not in SUPPORTED or match["neg"]:
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
