"""Errors the operator can act on. Each message says what failed and what to do next."""

from __future__ import annotations

import re

# scheme://user:password@host -> scheme://user:***@host (also a bare scheme://token@host)
_URL_CREDENTIALS = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/\s@]+)@")


def redact(text: str) -> str:
    """``text`` with the credentials of every URL in it masked: a password (or a token standing
    alone before the ``@``) becomes ``***``. Messages, logs and ledger rows pass through this."""

    def mask(match: re.Match[str]) -> str:
        user, sep, _secret = match["userinfo"].partition(":")
        return f"{match['head']}{user}:***@" if sep else f"{match['head']}***@"

    return _URL_CREDENTIALS.sub(mask, text)


class ExtractError(RuntimeError):
    """Base class: printed as one line by the CLI. URL credentials in the message are masked."""

    def __init__(self, message: object = "", *args: object) -> None:
        super().__init__(redact(str(message)), *args)


class ConfigError(ExtractError):
    """A missing or invalid setting (names the environment variable)."""


class ApiError(ExtractError):
    """An API answered with an error we cannot retry past (``status``: the HTTP status, if any)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class QueryCostError(ApiError):
    """A GraphQL query asked for more than the single-query cost limit (ask for smaller pages)."""


class ApiUnavailableError(ApiError):
    """The retry budget ran out: the API is down or unreachable."""
