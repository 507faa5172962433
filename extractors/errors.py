"""Errors the operator can act on. Each message says what failed and what to do next."""

from __future__ import annotations


class ExtractError(RuntimeError):
    """Base class: printed as one line by the CLI."""


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
