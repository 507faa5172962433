"""The dashboard app's API (its own tables): paged ``{"data": [...], "meta": {...}}`` answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from extractors.http import HttpClient

MAX_PAGES = 100_000


class AppClient:
    def __init__(self, http: HttpClient, base_url: str) -> None:
        self.http = http
        self.base = f"{base_url.rstrip('/')}/app/api"

    @classmethod
    def headers(cls, api_token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_token}"}

    def pages(self, table: str) -> Iterator[list[Any]]:
        for page in range(1, MAX_PAGES):
            body = self.http.get_json(f"{self.base}/{table}", {"page": page})
            data = body.get("data") if isinstance(body, dict) else body
            records = data if isinstance(data, list) else []
            if records:
                yield records
            meta = body.get("meta") if isinstance(body, dict) else None
            pages = (meta or {}).get("pages")
            if not records or (isinstance(pages, int) and page >= pages):
                return
