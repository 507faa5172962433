"""Customers: created at their first order, picked again by persona, rendered at the end."""

from __future__ import annotations

import random

from sandbox.generator.clock import iso
from sandbox.generator.money import fmt
from sandbox.generator.names import CITIES, FIRST_NAMES, LAST_NAMES, SHOP_WORDS
from sandbox.generator.personas import PERSONA_DEFS, PERSONAS, PRO
from sandbox.generator.rand import Weighted, below, weighted
from sandbox.generator.shops import ShopDef

NEW_CUSTOMER_RATE = 0.36  # share of identified orders placed by a new customer
PERSONA_SHARES = tuple(PERSONA_DEFS[p].share for p in PERSONAS)
PERSONA_CHOICE = Weighted(PERSONAS, PERSONA_SHARES)


class Customer:
    __slots__ = (
        "seq",
        "persona",
        "orders",
        "spent",
        "created",
        "last",
        "first",
        "last_name",
        "company",
        "province",
        "city",
        "zip",
        "phone",
        "state",
        "verified",
        "active",
        "contact_id",
        "slot",
    )

    def __init__(self, seq: int, persona: str, created: int) -> None:
        self.seq = seq
        self.persona = persona
        self.orders = 0
        self.spent = 0
        self.created = created
        self.last = created
        self.first = ""
        self.last_name = ""
        self.company = ""
        self.province = ""
        self.city = ""
        self.zip = ""
        self.phone: str | None = None
        self.state = "ENABLED"
        self.verified = True
        self.active = True
        self.contact_id: int | None = None
        self.slot = -1


class CustomerPool:
    """The shop's customers; new ones join over time, repeat buyers are picked by persona."""

    def __init__(self, shop: ShopDef, next_seq: int = 1) -> None:
        self.shop = shop
        self.customers: list[Customer] = []
        self.active: dict[str, list[Customer]] = {p: [] for p in PERSONAS}
        self.next_seq = next_seq

    def gid(self, customer: Customer) -> str:
        return self.shop.gid("Customer", customer.seq)

    def new(self, rng: random.Random, created: int) -> Customer:
        persona = PERSONA_CHOICE.pick(rng)
        customer = Customer(self.next_seq, persona, created)
        self.next_seq += 1
        customer.first = FIRST_NAMES[below(rng, len(FIRST_NAMES))]
        customer.last_name = LAST_NAMES[below(rng, len(LAST_NAMES))]
        if persona == PRO:
            customer.company = f"{customer.last_name} {SHOP_WORDS[below(rng, len(SHOP_WORDS))]}"
        customer.province = self.shop.provinces[below(rng, len(self.shop.provinces))]
        cities = CITIES[customer.province]
        customer.city = cities[below(rng, len(cities))]
        if self.shop.country == "US":
            customer.zip = f"{below(rng, 10000, 99999)}"
        else:
            letter = "ABCEGHJ"[below(rng, 7)]
            customer.zip = f"L{below(rng, 10)}{letter} {below(rng, 10)}T{below(rng, 10)}"
        if rng.random() < 0.7:
            customer.phone = f"+1{below(rng, 200, 989)}555{below(rng, 1000, 9999)}"
        customer.verified = rng.random() < 0.9
        customer.state = "ENABLED" if rng.random() < 0.8 else "DISABLED"
        self.add(customer)
        return customer

    def add(self, customer: Customer) -> None:
        self.customers.append(customer)
        if customer.active:
            bucket = self.active[customer.persona]
            customer.slot = len(bucket)
            bucket.append(customer)

    def pick(self, rng: random.Random, month: int, created: int) -> Customer:
        """A new customer with NEW_CUSTOMER_RATE, else a repeat buyer weighted by persona."""
        weights = [
            PERSONA_DEFS[p].frequency * PERSONA_DEFS[p].season[month - 1] * len(self.active[p])
            for p in PERSONAS
        ]
        if rng.random() < NEW_CUSTOMER_RATE or sum(weights) <= 0:
            return self.new(rng, created)
        persona = weighted(rng, PERSONAS, weights)
        bucket = self.active[persona]
        return bucket[below(rng, len(bucket))]

    def record_order(self, rng: random.Random, customer: Customer, at: int, spent: int) -> None:
        customer.orders += 1
        customer.spent += spent
        customer.last = max(customer.last, at)
        definition = PERSONA_DEFS[customer.persona]
        capped = definition.max_orders is not None and customer.orders >= definition.max_orders
        if customer.active and (capped or rng.random() < definition.churn):
            customer.active = False
            bucket = self.active[customer.persona]
            moved = bucket[-1]
            bucket[customer.slot] = moved
            moved.slot = customer.slot
            bucket.pop()
            customer.slot = -1


def customer_payload(pool: CustomerPool, customer: Customer) -> tuple[str, int, dict]:
    shop = pool.shop
    gid = pool.gid(customer)
    display = f"{customer.first} {customer.last_name}"
    email = f"{customer.first}.{customer.last_name}.{customer.seq}@example.com".lower()
    tags = ["wholesale"] if customer.persona == PRO else []
    if customer.orders >= 5:
        tags.append("repeat")
    updated = customer.last
    return (
        gid,
        updated,
        {
            "id": gid,
            "firstName": customer.first,
            "lastName": customer.last_name,
            "displayName": display,
            "createdAt": iso(customer.created),
            "updatedAt": iso(updated),
            "tags": tags,
            "state": customer.state,
            "verifiedEmail": customer.verified,
            "numberOfOrders": str(customer.orders),
            "amountSpent": {"amount": fmt(customer.spent), "currencyCode": shop.currency},
            "defaultEmailAddress": {"emailAddress": email},
            "defaultPhoneNumber": {"phoneNumber": customer.phone} if customer.phone else None,
            "defaultAddress": {
                "city": customer.city,
                "provinceCode": customer.province,
                "countryCode": shop.country,
                "zip": customer.zip,
            },
        },
    )
