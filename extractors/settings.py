"""Extractor settings, read once from the environment at the edge (CLI / orchestration).

Clients never read the environment: they receive these values. Secrets are kept in fields whose
``repr`` is masked so they cannot leak through logs, errors or the load ledger.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from extractors.errors import ConfigError
from extractors.shopify.queries import API_VERSION
from extractors.shopify.regroup import MEMORY_ENV
from extractors.webhooks.verify import CHATWOOT_MAX_AGE_S
from warehouse.settings import parse_int

DEFAULT_SHOPIFY_BASE = "https://{shop}"
DEFAULT_GA4_API_URL = "https://analyticsdata.googleapis.com"
CONTACTS_FULL_DAYS_ENV = "HOTROD_CHATWOOT_CONTACTS_FULL_DAYS"
CONTACTS_FULL_DAYS = 7  # a full read of Chatwoot's contacts weekly, increments in between
# The Admin API versions the queries are written and tested against (the pruned SDL in the repo).
SUPPORTED_API_VERSIONS = (API_VERSION,)


def _secret_field():
    return field(default="", repr=False)


@dataclass(frozen=True)
class ShopifySettings:
    shops: tuple[str, ...]
    access_token: str = field(repr=False)
    api_version: str = API_VERSION
    base_url: str = DEFAULT_SHOPIFY_BASE
    bulk_max_wait_s: float = 6 * 3600.0  # HOTROD_BULK_MAX_WAIT_S: bound on one bulk operation
    bulk_memory_mb: int | None = None  # HOTROD_BULK_MEMORY_MB (None: regroup's default)
    # HOTROD_BULK_SPLIT_MIN: orders from which a first load or full read of orders is split in
    # two bulk queries read side by side (0: never)
    bulk_split_min: int = 200_000

    def graphql_url(self, shop: str) -> str:
        base = self.base_url.replace("{shop}", shop).rstrip("/")
        return f"{base}/admin/api/{self.api_version}/graphql.json"


@dataclass(frozen=True)
class ChatwootSettings:
    url: str
    accounts: tuple[tuple[str, str], ...]  # (account id, shop domain)
    api_token: str = field(repr=False)
    # HOTROD_CHATWOOT_CONTACTS_FULL_DAYS: contacts are read in full (every page) once this many
    # days have passed since the last full read; increments in between (0: always in full)
    contacts_full_days: int = CONTACTS_FULL_DAYS


@dataclass(frozen=True)
class Ga4Settings:
    """Google Analytics 4: one property per shop; a service-account key file or a token."""

    properties: tuple[tuple[str, str], ...]  # (property id, shop domain)
    credentials_file: str = ""
    access_token: str = field(default="", repr=False)
    api_url: str = DEFAULT_GA4_API_URL


@dataclass(frozen=True)
class AppSettings:
    url: str
    api_token: str = field(repr=False)


@dataclass(frozen=True)
class WebhookSettings:
    shopify_secret: str = _secret_field()
    chatwoot_secret: str = _secret_field()
    chatwoot_allow_unsigned: bool = False
    chatwoot_accounts: tuple[tuple[str, str], ...] = ()
    default_shop: str = ""
    chatwoot_max_age_s: int = CHATWOOT_MAX_AGE_S  # replay window for Chatwoot signatures
    # the Admin API the receiver fetches named records from (None: Shopify deliveries stay
    # pending until it is configured)
    shopify: ShopifySettings | None = None


@dataclass(frozen=True)
class Settings:
    """Everything the extractors need; each part is None when its source is not configured."""

    env: Mapping[str, str] = field(repr=False, default_factory=dict)

    def _get(self, name: str, default: str = "") -> str:
        return (self.env.get(name) or default).strip()

    def _require(self, name: str) -> str:
        value = self._get(name)
        if not value:
            raise ConfigError(f"{name} is not set (see .env.example)")
        return value

    def shopify(self) -> ShopifySettings:
        shops = tuple(s.strip() for s in self._require("SHOPIFY_SHOP").split(",") if s.strip())
        if not shops:
            raise ConfigError("SHOPIFY_SHOP lists no shop (comma-separated shop domains)")
        return ShopifySettings(
            shops=shops,
            access_token=self._require("SHOPIFY_ACCESS_TOKEN"),
            api_version=_api_version(self._get("SHOPIFY_API_VERSION", API_VERSION)),
            base_url=self._get("SHOPIFY_API_BASE_URL", DEFAULT_SHOPIFY_BASE),
            bulk_max_wait_s=self._seconds("HOTROD_BULK_MAX_WAIT_S", 6 * 3600.0),
            bulk_memory_mb=self._bulk_memory_mb(),
            bulk_split_min=parse_int(
                "HOTROD_BULK_SPLIT_MIN", self._get("HOTROD_BULK_SPLIT_MIN"), 200_000, 0, 1 << 40
            ),
        )

    def _bulk_memory_mb(self) -> int | None:
        raw = self._get(MEMORY_ENV)
        return parse_int(MEMORY_ENV, raw, 0, 0, 1 << 24) if raw.strip() else None

    def _seconds(self, name: str, default: float) -> float:
        raw = self._get(name)
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if value <= 0:
            raise ConfigError(f"{name} must be a positive number of seconds, got {raw!r}")
        return value

    def _shop_pairs(self, name: str, example: str) -> tuple[tuple[str, str], ...]:
        """``id=shop_domain`` pairs (a bare id belongs to the first SHOPIFY_SHOP)."""
        raw = self._require(name)
        first_shop = self._get("SHOPIFY_SHOP").split(",")[0].strip()
        pairs = []
        for part in (p.strip() for p in raw.split(",")):
            if not part:
                continue
            key, _, shop = part.partition("=")
            shop = shop.strip() or first_shop
            if not key.strip().isdigit() or not shop:
                raise ConfigError(
                    f"{name} must be id=shop_domain pairs, e.g. {example} "
                    "(a bare id needs SHOPIFY_SHOP)"
                )
            pairs.append((key.strip(), shop))
        return tuple(pairs)

    def chatwoot_accounts(self) -> tuple[tuple[str, str], ...]:
        return self._shop_pairs("CHATWOOT_ACCOUNT_ID", "1=hot-rod-an.myshopify.com")

    def chatwoot(self) -> ChatwootSettings:
        return ChatwootSettings(
            url=self._require("CHATWOOT_URL").rstrip("/"),
            accounts=self.chatwoot_accounts(),
            api_token=self._require("CHATWOOT_API_TOKEN"),
            contacts_full_days=parse_int(
                CONTACTS_FULL_DAYS_ENV,
                self._get(CONTACTS_FULL_DAYS_ENV),
                CONTACTS_FULL_DAYS,
                0,
                366,
            ),
        )

    def ga4(self) -> Ga4Settings:
        properties = self._shop_pairs("GA4_PROPERTY_ID", "123456789=hot-rod-an.myshopify.com")
        credentials_file = self._get("GA4_CREDENTIALS_FILE")
        access_token = self._get("GA4_ACCESS_TOKEN")
        if not credentials_file and not access_token:
            raise ConfigError(
                "GA4_CREDENTIALS_FILE (a service-account key file with Viewer access to the "
                "properties) or GA4_ACCESS_TOKEN is not set (see .env.example)"
            )
        return Ga4Settings(
            properties=properties,
            credentials_file=credentials_file,
            access_token=access_token,
            api_url=self._get("GA4_API_URL", DEFAULT_GA4_API_URL).rstrip("/"),
        )

    def app(self) -> AppSettings:
        return AppSettings(
            url=self._require("HOTROD_APP_API_URL").rstrip("/"),
            api_token=self._require("HOTROD_APP_API_TOKEN"),
        )

    def webhooks(self) -> WebhookSettings:
        accounts: tuple[tuple[str, str], ...] = ()
        if self._get("CHATWOOT_ACCOUNT_ID"):
            accounts = self.chatwoot_accounts()
        return WebhookSettings(
            shopify_secret=self._get("SHOPIFY_WEBHOOK_SECRET"),
            chatwoot_secret=self._get("CHATWOOT_WEBHOOK_SECRET"),
            chatwoot_allow_unsigned=self._get("CHATWOOT_ALLOW_UNSIGNED").lower()
            in ("1", "true", "yes"),
            chatwoot_accounts=accounts,
            default_shop=self._get("SHOPIFY_SHOP").split(",")[0].strip(),
            chatwoot_max_age_s=parse_int(
                "CHATWOOT_WEBHOOK_MAX_AGE_S",
                self._get("CHATWOOT_WEBHOOK_MAX_AGE_S"),
                CHATWOOT_MAX_AGE_S,
                0,
                24 * 3600,
            ),
            shopify=self.shopify()
            if self._get("SHOPIFY_SHOP") and self._get("SHOPIFY_ACCESS_TOKEN")
            else None,
        )


def _api_version(value: str) -> str:
    """SHOPIFY_API_VERSION: a stable release name (YYYY-01/04/07/10) the extractor supports."""
    if not re.fullmatch(r"\d{4}-(01|04|07|10)", value):
        raise ConfigError(
            f"SHOPIFY_API_VERSION {value!r} is not a Shopify release name (YYYY-MM, MM one of "
            f"01, 04, 07, 10); set it to {API_VERSION} or leave it empty"
        )
    if value not in SUPPORTED_API_VERSIONS:
        raise ConfigError(
            f"SHOPIFY_API_VERSION {value} is not supported (supported: "
            f"{', '.join(SUPPORTED_API_VERSIONS)}); set it to {API_VERSION} or leave it empty"
        )
    return value


def from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Snapshot of the environment (read once)."""
    return Settings(env=dict(os.environ if env is None else env))
