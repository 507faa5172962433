"""The automotive catalog: products from the taxonomy seed, variants with SKUs, prices and costs.

A master catalog is built from the seed alone; each shop carries a share of it under its own
GIDs, in its own currency. Vehicle fitment goes into the ``custom.vehicle_fitment`` metafield
and/or ``fits:`` tags; ``performance``/``restoration``/``custom-fab`` tags override the
taxonomy's default focus for some products.
"""

from __future__ import annotations

import csv
import json
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

from sandbox.generator.clock import DAY, iso
from sandbox.generator.money import fmt
from sandbox.generator.rand import below, randint
from sandbox.generator.shops import ShopDef

TAXONOMY_CSV = Path(__file__).resolve().parents[2] / "seeds" / "product_taxonomy.csv"

VENDORS = (
    "Ironline Performance",
    "Kustom Flow",
    "Redline Speed Co.",
    "Blue Oval Restorations",
    "Nitro Fab Works",
    "Vintage Steel Supply",
    "Torque Brothers",
    "Sidewinder Racing",
)

VEHICLES = (
    "1955-1957 Chevrolet Bel Air",
    "1932 Ford Model B",
    "1928-1931 Ford Model A",
    "1967-1969 Chevrolet Camaro",
    "1964-1966 Ford Mustang",
    "1968-1972 Chevrolet Nova",
    "1970-1974 Plymouth Barracuda",
    "1940 Ford Deluxe",
    "1947-1953 Chevrolet 3100",
    "1963-1967 Chevrolet Corvette",
    "1966-1977 Ford Bronco",
    "1968-1970 Dodge Charger",
    "1964-1972 Pontiac GTO",
    "1949-1951 Mercury Eight",
    "1933-1934 Ford Model 40",
    "1958-1964 Chevrolet Impala",
    "1969-1970 Ford Torino",
    "1971-1974 Dodge Challenger",
)

# USD list price range (cents) by taxonomy level 1; product types refine it below.
PRICE_RANGE = {
    "Fuel & Carburetion": (4_500, 95_000),
    "AN Fittings & Hose": (900, 18_000),
    "Engine": (3_500, 220_000),
    "Ignition": (3_000, 45_000),
    "Exhaust": (6_000, 160_000),
    "Suspension": (9_000, 180_000),
    "Brakes": (8_000, 110_000),
    "Restoration Trim": (2_500, 90_000),
    "Fabrication": (600, 24_000),
}
TYPE_PRICE = {
    "4-Barrel Carburetor": (45_000, 95_000),
    "2-Barrel Carburetor": (22_000, 48_000),
    "Carburetor Rebuild Kit": (3_500, 9_000),
    "EFI Conversion Kit": (110_000, 220_000),
    "Cylinder Head": (70_000, 220_000),
    "Camshaft Kit": (30_000, 80_000),
    "Engine Gasket Set": (4_500, 16_000),
    "AN Hose End": (900, 4_500),
    "AN Adapter Fitting": (600, 2_900),
    "Weld-On Bung": (600, 2_400),
    "Spark Plug Wire Set": (4_500, 12_000),
    "Emblem Set": (2_500, 9_000),
    "Chrome Bumper": (30_000, 90_000),
    "Coilover Kit": (90_000, 180_000),
    "Headers": (35_000, 160_000),
}
OPTIONS = {
    "AN Fittings & Hose": (("-4 AN", "-6 AN", "-8 AN", "-10 AN"), ("Black", "Blue/Red")),
    "Fabrication": (("Steel", "Aluminum", "Stainless"),),
    "Restoration Trim": (("Chrome", "Black", "Original Finish"),),
    "Fuel & Carburetion": (("Standard", "Polished"),),
    "Exhaust": (("Uncoated", "Ceramic Coated"),),
}
NOUNS = ("Pro", "Street", "Classic", "Track", "Elite", "Original", "Heavy-Duty", "Competition")


@dataclass(frozen=True)
class TaxonomyRow:
    product_type: str
    l1: str
    l2: str
    l3: str
    focus: str


@lru_cache(maxsize=1)
def taxonomy() -> tuple[TaxonomyRow, ...]:
    with TAXONOMY_CSV.open(newline="") as handle:
        return tuple(
            TaxonomyRow(
                r["product_type"],
                r["category_l1"],
                r["category_l2"],
                r["category_l3"],
                r["part_focus"],
            )
            for r in csv.DictReader(handle)
        )


@dataclass(slots=True)
class Variant:
    gid: str
    sku: str
    title: str
    price: int  # cents, shop currency
    compare_at: int | None
    cost: int
    item_gid: str
    product: Product
    created: int
    popularity: float = 1.0


@dataclass(slots=True)
class Product:
    gid: str
    title: str
    handle: str
    product_type: str
    category: str  # taxonomy level 1
    vendor: str
    tags: list[str]
    status: str
    created: int
    updated: int
    fitment: list[str] | None
    variants: list[Variant] = field(default_factory=list)


@dataclass
class Catalog:
    shop: ShopDef
    products: list[Product]
    variants: list[Variant]
    by_category: dict[tuple[str, bool, str | None], tuple[list[Variant], list[float]]]

    def pick(
        self, rng: random.Random, category: str, premium: bool = False, focus: str | None = None
    ) -> Variant:
        """A variant of the category by popularity; ``premium`` tilts toward pricey parts and
        ``focus`` keeps to parts flagged performance/restoration/fabrication when there are any."""
        table = self.by_category
        variants, cumulative = (
            table.get((category, premium, focus))
            or table.get((category, premium, None))
            or next(iter(table.values()))
        )
        return variants[bisect_right(cumulative, rng.random() * cumulative[-1])]

    def index(self) -> None:
        groups: dict[str, list[Variant]] = {}
        for variant in self.variants:
            if variant.product.status == "ACTIVE":
                groups.setdefault(variant.product.category, []).append(variant)
        self.by_category = {}
        for cat, everything in sorted(groups.items()):
            for focus in (None, "performance", "restoration", "fabrication"):
                vs = [v for v in everything if focus is None or focus_of(v.product) == focus]
                if not vs:
                    continue
                plain = list(accumulate(v.popularity for v in vs))
                premium = list(accumulate(v.popularity * (v.price / 100) ** 1.3 for v in vs))
                self.by_category[(cat, False, focus)] = (vs, plain)
                self.by_category[(cat, True, focus)] = (vs, premium)


FLAG_TAGS = {
    "performance": "performance",
    "restoration": "restoration",
    "custom-fab": "fabrication",
}


@lru_cache(maxsize=64)
def default_focus(product_type: str) -> str:
    return next(r.focus for r in taxonomy() if r.product_type == product_type)


def focus_of(product: Product) -> str:
    """The part's focus: a flag tag when it has one (first of them), else the taxonomy default."""
    for tag in product.tags:
        if tag in FLAG_TAGS:
            return FLAG_TAGS[tag]
    return default_focus(product.product_type)


@dataclass(frozen=True)
class MasterVariant:
    sku: str
    option: str
    price: int
    compare_at: int | None
    cost: int


@dataclass(frozen=True)
class MasterProduct:
    row: TaxonomyRow
    title: str
    vendor: str
    tags: tuple[str, ...]
    fitment: tuple[str, ...] | None
    fitment_in_metafield: bool
    variants: tuple[MasterVariant, ...]


def master_catalog(seed: int) -> list[MasterProduct]:
    rng = random.Random(f"{seed}:catalog")
    products: list[MasterProduct] = []
    for type_no, row in enumerate(taxonomy()):
        low, high = TYPE_PRICE.get(row.product_type, PRICE_RANGE.get(row.l1, (2_000, 50_000)))
        for n in range(randint(rng, 5, 11)):
            vendor = VENDORS[below(rng, len(VENDORS))]
            noun = NOUNS[below(rng, len(NOUNS))]
            title = f"{vendor.split()[0]} {noun} {row.product_type}"
            tags: list[str] = [row.l1.lower().replace(" & ", "-").replace(" ", "-")]
            focus_tag = {"performance": "performance", "restoration": "restoration"}.get(
                row.focus, "custom-fab"
            )
            roll = rng.random()
            if roll < 0.12:  # an override of the taxonomy default
                focus_tag = ("performance", "restoration", "custom-fab")[below(rng, 3)]
            if roll < 0.12 or rng.random() < 0.6:
                tags.append(focus_tag)
            fitment: tuple[str, ...] | None = None
            universal = row.l1 in ("AN Fittings & Hose", "Fabrication") and rng.random() < 0.85
            if not universal and rng.random() < 0.8:
                count = rng.choice((1, 1, 2, 3))
                fitment = tuple(rng.sample(VEHICLES, count))
                title = f"{title} for {fitment[0].split(' ', 1)[1]}"
            in_metafield = fitment is not None and rng.random() < 0.7
            if fitment and (not in_metafield or rng.random() < 0.5):
                tags.extend(f"fits:{v}" for v in fitment)
            if universal:
                tags.append("universal")
            base = int(low * (high / low) ** rng.random())
            axes = OPTIONS.get(row.l1)
            options = ["Default Title"]
            if axes and rng.random() < 0.75:
                options = [
                    " / ".join(combo)
                    for combo in _combos(axes)[: randint(rng, 2, min(6, len(_combos(axes))))]
                ]
            margin = rng.uniform(0.32, 0.55)
            variants = []
            for k, option in enumerate(options):
                price = _price(base * (1 + 0.12 * k))
                compare = _price(price * 1.2) if rng.random() < 0.15 else None
                code = "".join(w[0] for w in row.product_type.split()).upper()
                sku = f"{vendor[:3].upper()}-{code}-{type_no:02d}{n:02d}-{k + 1}"
                variants.append(MasterVariant(sku, option, price, compare, int(price * margin)))
            products.append(
                MasterProduct(
                    row, title, vendor, tuple(tags), fitment, in_metafield, tuple(variants)
                )
            )
    return products


def _combos(axes: tuple[tuple[str, ...], ...]) -> list[tuple[str, ...]]:
    combos: list[tuple[str, ...]] = [()]
    for axis in axes:
        combos = [c + (value,) for c in combos for value in axis]
    return combos


def _price(cents: float) -> int:
    """A retail price ending in .95 or .99 (cents)."""
    dollars = max(int(cents) // 100, 1)
    return dollars * 100 + (95 if dollars % 3 else 99)


def shop_catalog(shop: ShopDef, master: list[MasterProduct], seed: int, start: int) -> Catalog:
    """The shop's products with sequential GIDs, created before or during the history."""
    rng = random.Random(f"{seed}:catalog:{shop.domain}")
    products: list[Product] = []
    variants: list[Variant] = []
    variant_seq = 0
    for master_product in master:
        if rng.random() > shop.catalog_share:
            continue
        seq = len(products) + 1
        created = (
            start - randint(rng, 30, 900) * DAY
            if rng.random() < 0.85
            else (start + randint(rng, 1, 330) * DAY)
        )
        status = "ACTIVE"
        roll = rng.random()
        if roll < 0.03:
            status = "DRAFT"
        elif roll < 0.06:
            status = "ARCHIVED"
        handle = master_product.title.lower().replace(" ", "-").replace("/", "-")
        product = Product(
            gid=shop.gid("Product", seq),
            title=master_product.title,
            handle=f"{handle}-{seq}",
            product_type=master_product.row.product_type,
            category=master_product.row.l1,
            vendor=master_product.vendor,
            tags=list(master_product.tags),
            status=status,
            created=created,
            updated=created + randint(rng, 0, 40) * DAY,
            fitment=list(master_product.fitment) if master_product.fitment_in_metafield else None,
        )
        for mv in master_product.variants:
            variant_seq += 1
            variant = Variant(
                gid=shop.gid("ProductVariant", variant_seq),
                sku=mv.sku,
                title=mv.option,
                price=_price(mv.price * shop.price_factor),
                compare_at=_price(mv.compare_at * shop.price_factor) if mv.compare_at else None,
                cost=int(mv.cost * shop.price_factor),
                item_gid=shop.gid("InventoryItem", variant_seq),
                product=product,
                created=created,
                popularity=1.0 / (rng.random() * 40 + 1) ** 1.2 / (mv.price / 100) ** 0.9,
            )
            product.variants.append(variant)
            variants.append(variant)
        products.append(product)
    catalog = Catalog(shop, products, variants, {})
    catalog.index()
    return catalog


def product_payload(product: Product, currency: str) -> tuple[int, dict]:
    """(updated_at, payload) of a product with its variants as a plain list."""
    variants = []
    updated = product.updated
    for v in product.variants:
        variants.append(
            {
                "id": v.gid,
                "sku": v.sku,
                "title": v.title,
                "price": fmt(v.price),
                "compareAtPrice": fmt(v.compare_at) if v.compare_at else None,
                "createdAt": iso(v.created),
                "updatedAt": iso(product.updated),
                "inventoryItem": {
                    "id": v.item_gid,
                    "tracked": True,
                    "unitCost": {"amount": fmt(v.cost), "currencyCode": currency},
                },
            }
        )
    fitment = None
    if product.fitment:
        fitment = {
            "value": json.dumps(product.fitment, separators=(",", ":")),
            "type": "list.single_line_text_field",
        }
    return updated, {
        "id": product.gid,
        "title": product.title,
        "handle": product.handle,
        "productType": product.product_type,
        "vendor": product.vendor,
        "tags": list(product.tags),
        "status": product.status,
        "createdAt": iso(product.created),
        "updatedAt": iso(updated),
        "fitment": fitment,
        "variants": variants,
    }
