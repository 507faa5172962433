"""Chatwoot REST client (application API, one account). The token arrives as a header."""

from __future__ import annotations

from typing import Any

from extractors.http import HttpClient


class ChatwootClient:
    def __init__(self, http: HttpClient, base_url: str, account_id: str) -> None:
        self.http = http
        self.account_id = str(account_id)
        self.root = f"{base_url.rstrip('/')}/api/v1"
        self.base = f"{self.root}/accounts/{account_id}"

    @classmethod
    def headers(cls, api_token: str) -> dict[str, str]:
        return {"api_access_token": api_token}

    def profile(self) -> dict[str, Any]:
        """The token's user (``GET /api/v1/profile``), with its role in each account."""
        body = self.http.get_json(f"{self.root}/profile")
        return body if isinstance(body, dict) else {}

    def conversations_page(self, page: int) -> list[dict[str, Any]]:
        body = self.http.get_json(f"{self.base}/conversations", {"status": "all", "page": page})
        return _items(body)

    def messages_page(self, conversation_id: Any, before: Any = None) -> list[dict[str, Any]]:
        params = {"before": before} if before is not None else None
        body = self.http.get_json(f"{self.base}/conversations/{conversation_id}/messages", params)
        return _items(body)

    def contacts_page(self, page: int, sort: str | None = None) -> list[dict[str, Any]]:
        """One page (15) of the account's contacts: unsorted, or in the order ``sort`` names
        (``contact_sort_param``: ``last_activity_at``, ``-last_activity_at`` for newest first,
        ``name``, ``email``, ``phone_number``)."""
        params: dict[str, Any] = {"page": page}
        if sort:
            params["sort"] = sort
        return _items(self.http.get_json(f"{self.base}/contacts", params))

    def csat_page(
        self, page: int, since: int | None = None, until: int | None = None
    ) -> list[dict[str, Any]]:
        """One page (25, ascending id) of the account's CSAT survey responses
        (``GET .../csat_survey_responses``; an administrator's token); ``since``/``until``
        (epoch seconds, both or neither) keep those created in [since, until)."""
        params: dict[str, Any] = {"page": page}
        if since is not None and until is not None:
            params.update({"since": since, "until": until})
        return _items(self.http.get_json(f"{self.base}/csat_survey_responses", params))

    def agents(self) -> list[dict[str, Any]]:
        return _items(self.http.get_json(f"{self.base}/agents"))

    def inboxes(self) -> list[dict[str, Any]]:
        return _items(self.http.get_json(f"{self.base}/inboxes"))

    def reports_summary(self, since: int, until: int) -> dict[str, Any]:
        """The account's report summary for [since, until) in epoch seconds
        (``GET /api/v2/accounts/{id}/reports/summary?type=account``)."""
        url = f"{self.root[: -len('/v1')]}/v2/accounts/{self.account_id}/reports/summary"
        body = self.http.get_json(url, {"type": "account", "since": since, "until": until})
        return body if isinstance(body, dict) else {}

    def webhooks(self) -> list[dict[str, Any]]:
        """The account's webhooks (``GET .../webhooks``; an administrator's token)."""
        body = self.http.get_json(f"{self.base}/webhooks")
        payload = body.get("payload") if isinstance(body, dict) else None
        if isinstance(payload, dict):  # {"payload": {"webhooks": [...]}}, as Chatwoot renders it
            body = payload.get("webhooks")
        return _items(body)

    def create_webhook(self, url: str, subscriptions: list[str], name: str) -> dict[str, Any]:
        body = {"url": url, "name": name, "subscriptions": subscriptions}
        created = self.http.post_json(f"{self.base}/webhooks", body)
        return created if isinstance(created, dict) else {}


def _items(body: Any) -> list[dict[str, Any]]:
    """The record list of a Chatwoot answer: a list, ``{payload: [...]}``, or ``{data: {...}}``."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in ("payload", "data"):
            if key in body:
                return _items(body[key])
    return []
