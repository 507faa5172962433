"""Which Postgres is in effect, read once from the environment.

``HOTROD_DATABASE_URL`` selects an external server. Without it the embedded server under
``HOTROD_HOME`` (default: the repo's git-ignored ``.hotrod`` folder) is used.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE = "hotrod"


def hotrod_home() -> Path:
    """Folder for local state (embedded data directory, sandbox caches, backups)."""
    return Path(os.environ.get("HOTROD_HOME", REPO_ROOT / ".hotrod")).resolve()


MAX_SANDBOX_ORDERS = 5_000_000  # HOTROD_SANDBOX_ORDERS above this is refused (a typo, not a plan)


class SettingError(ValueError):
    """An environment variable with a value that cannot be used (the message names it)."""


def env_int(name: str, default: int, low: int | None = None, high: int | None = None) -> int:
    """An integer from the environment; unset or empty (a copied .env.example) means default.
    Outside ``low``..``high`` (when given) it is refused before any work."""
    return parse_int(name, os.environ.get(name, ""), default, low, high)


def parse_int(name: str, raw: str, default: int, low: int | None, high: int | None) -> int:
    """``raw`` (the value of variable ``name``) as an integer in ``low``..``high``; empty means
    ``default``. Anything else raises SettingError naming the variable."""
    raw = raw.strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name} must be an integer, got {raw!r}") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise SettingError(f"{name} must be between {low} and {high}, got {value}")
    return value


@contextlib.contextmanager
def patched_environ(values: Mapping[str, str], remove: Iterable[str] = ()) -> Iterator[None]:
    """os.environ with ``values`` set and ``remove`` unset for the block, restored afterwards."""
    names = [*values, *remove]
    saved = {name: os.environ.get(name) for name in names}
    for name in remove:
        os.environ.pop(name, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed libpq URL. Works for TCP hosts and for unix-socket directories (``?host=/dir``)."""

    user: str
    password: str
    host: str
    port: int
    database: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, url: str) -> DatabaseUrl:
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres", "postgresql+psycopg2"):
            raise ValueError(
                f"unsupported database URL scheme {parts.scheme!r}: use postgresql://user@host:port/db"
            )
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        host = query.pop("host", None) or parts.hostname or "localhost"
        port = int(query.pop("port", None) or parts.port or 5432)
        return cls(
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
            host=host,
            port=port,
            database=unquote(parts.path.lstrip("/")) or DEFAULT_DATABASE,
            params=tuple(sorted(query.items())),
        )

    def with_database(self, database: str) -> DatabaseUrl:
        return DatabaseUrl(self.user, self.password, self.host, self.port, database, self.params)

    @property
    def is_socket(self) -> bool:
        return self.host.startswith("/")

    def render(self, scheme: str = "postgresql", hide_password: bool = False) -> str:
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + ("***" if hide_password else quote(self.password, safe=""))
        params = dict(self.params)
        if self.is_socket:
            netloc = f"{auth}@"
            params = {"host": self.host, "port": str(self.port), **params}
        else:
            netloc = f"{auth}@{self.host}:{self.port}"
        query = urlencode(params, safe="/")
        return urlunsplit((scheme, netloc, "/" + quote(self.database, safe=""), query, ""))

    def __str__(self) -> str:  # never leak the password through str()/logs
        return self.render(hide_password=True)

    def __repr__(self) -> str:
        return f"DatabaseUrl({self})"

    @property
    def url(self) -> str:
        return self.render()

    @property
    def sqlalchemy_url(self) -> str:
        """Dagster's storage needs the psycopg2 driver named explicitly."""
        return self.render(scheme="postgresql+psycopg2")

    def connect_kwargs(self) -> dict[str, object]:
        kwargs: dict[str, object] = {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "dbname": self.database,
        }
        if self.password:
            kwargs["password"] = self.password
        kwargs.update(dict(self.params))
        return kwargs

    def libpq_env(self) -> dict[str, str]:
        """The PG* variables that dbt's profile and psql read."""
        env = {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGDATABASE": self.database,
        }
        if self.password:
            env["PGPASSWORD"] = self.password
        sslmode = dict(self.params).get("sslmode")
        if sslmode:
            env["PGSSLMODE"] = sslmode
        return env


def marts_schema() -> str:
    """The schema dbt builds marts, reports and the contract views in (HOTROD_DBT_SCHEMA)."""
    return os.environ.get("HOTROD_DBT_SCHEMA", "").strip() or "marts"


def external_url() -> DatabaseUrl | None:
    raw = os.environ.get("HOTROD_DATABASE_URL", "").strip()
    if not raw:
        return None
    try:
        return DatabaseUrl.parse(raw)
    except ValueError as exc:  # the message never repeats the URL (it may hold a password)
        raise SettingError(f"HOTROD_DATABASE_URL is not usable: {exc}") from None
