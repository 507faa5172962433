"""The three sandbox shops (docs/raw-landing.md), their locations and Chatwoot accounts."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sandbox.generator.clock import iso


@dataclass(frozen=True)
class Location:
    name: str
    city: str
    province: str
    country: str
    online: bool
    active: bool = True


@dataclass(frozen=True)
class ShopDef:
    index: int
    domain: str
    name: str
    timezone: str
    currency: str
    chatwoot_account_id: int
    share: float
    country: str
    provinces: tuple[str, ...]
    locations: tuple[Location, ...]
    price_factor: float  # catalog prices relative to USD list prices
    catalog_share: float  # share of the master catalog the shop carries

    @cached_property
    def id_base(self) -> int:
        """Shopify numeric ids of this shop start above this (sequential per shop)."""
        return (self.index + 1) * 1_000_000_000

    @cached_property
    def ga4_property_id(self) -> int:
        """The shop's Google Analytics 4 property (nine digits, as GA numbers them)."""
        return 412_345_670 + self.index

    def gid(self, kind: str, seq: int) -> str:
        return f"gid://shopify/{kind}/{self.id_base + seq}"

    def as_dict(self) -> dict:
        return {
            "domain": self.domain,
            "name": self.name,
            "timezone": self.timezone,
            "currency": self.currency,
            "chatwoot_account_id": self.chatwoot_account_id,
            "ga4_property_id": self.ga4_property_id,
            "share": self.share,
        }


US_PROVINCES = ("CA", "TX", "FL", "AZ", "OH", "MI", "NC", "GA", "PA", "WA", "TN", "IN", "OR", "NV")
CA_PROVINCES = ("ON", "ON", "ON", "QC", "BC", "AB", "MB", "NS", "SK")

SHOPS: tuple[ShopDef, ...] = (
    ShopDef(
        0,
        "hot-rod-an.sandbox.test",
        "Hot Rod AN",
        "America/Los_Angeles",
        "USD",
        1,
        0.6,
        "US",
        US_PROVINCES,
        (
            Location("Fontana Warehouse", "Fontana", "CA", "US", True),
            Location("Reno Distribution", "Reno", "NV", "US", True),
            Location("Fontana Showroom", "Fontana", "CA", "US", False),
        ),
        1.0,
        1.0,
    ),
    ShopDef(
        1,
        "speedway-classics.sandbox.test",
        "Speedway Classics",
        "America/Chicago",
        "USD",
        2,
        0.3,
        "US",
        US_PROVINCES,
        (
            Location("Tulsa Warehouse", "Tulsa", "OK", "US", True),
            Location("Memphis Overflow", "Memphis", "TN", "US", True),
        ),
        1.03,
        0.7,
    ),
    ShopDef(
        2,
        "maple-street-rods.sandbox.test",
        "Maple Street Rods",
        "America/Toronto",
        "CAD",
        3,
        0.1,
        "CA",
        CA_PROVINCES,
        (
            Location("Hamilton Shop", "Hamilton", "ON", "CA", True),
            Location("Barrie Storage", "Barrie", "ON", "CA", True),
            Location("Old Kingston Store", "Kingston", "ON", "CA", False, active=False),
        ),
        1.36,
        0.45,
    ),
)

SHOP_BY_DOMAIN = {shop.domain: shop for shop in SHOPS}


def split_orders(total: int) -> list[int]:
    """Orders per shop: 60/30/10 of the total, summing exactly to it."""
    first = round(total * SHOPS[0].share)
    second = round(total * SHOPS[1].share)
    return [first, second, total - first - second]


def shop_payload(shop: ShopDef, created: int, updated: int) -> dict:
    return {
        "id": f"gid://shopify/Shop/{shop.index + 1}",
        "name": shop.name,
        "myshopifyDomain": shop.domain,
        "ianaTimezone": shop.timezone,
        "currencyCode": shop.currency,
        "createdAt": iso(created),
        "updatedAt": iso(updated),
    }


def location_payloads(shop: ShopDef, created: int) -> list[tuple[str, int, dict]]:
    """(gid, updated_at, payload) of each location."""
    rows = []
    for seq, loc in enumerate(shop.locations, start=1):
        gid = shop.gid("Location", seq)
        made = created + seq * 3600
        updated = made + (90 * 86400 if not loc.active else 0)
        rows.append(
            (
                gid,
                updated,
                {
                    "id": gid,
                    "name": loc.name,
                    "isActive": loc.active,
                    "fulfillsOnlineOrders": loc.online and loc.active,
                    "createdAt": iso(made),
                    "updatedAt": iso(updated),
                    "address": {
                        "city": loc.city,
                        "provinceCode": loc.province,
                        "countryCode": loc.country,
                    },
                },
            )
        )
    return rows
