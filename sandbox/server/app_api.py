"""The dashboard app's own tables, paged:
``{"data": [...], "meta": {"page", "pages", "count"}}``."""

from __future__ import annotations

import math
from typing import Any

from sandbox.server.data import DataAccess

PER_PAGE = 100
ENTITIES = ("shops", "decision_log", "ceo_time_entries")


class AppApi:
    def __init__(self, data: DataAccess) -> None:
        self.data = data

    def route(self, entity: str, params: dict[str, str]) -> tuple[int, Any]:
        if entity not in ENTITIES:
            return 404, {"error": f"unknown table {entity!r}; one of {', '.join(ENTITIES)}"}
        try:
            page = max(1, int(params.get("page", "1")))
        except ValueError:
            return 422, {"error": "page must be a positive integer"}
        rows = self.data.cached(("app", entity), lambda: self._all(entity))
        count = len(rows)
        start = (page - 1) * PER_PAGE
        return 200, {
            "data": rows[start : start + PER_PAGE],
            "meta": {"page": page, "pages": max(1, math.ceil(count / PER_PAGE)), "count": count},
        }

    def _all(self, entity: str) -> list[dict]:
        # shop None: every shop, including platform installs that have no store data
        return [r.payload for r in self.data.scan("app", entity, None)]
