"""One shop's running business: places an order (customer, lines, lifecycle) and the support
conversations it causes. Shared by the initial generation and ``advance()``."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sandbox.generator.catalog import VEHICLES
from sandbox.generator.chatwoot import (
    Agent,
    ChatwootIds,
    plan_conversation,
)
from sandbox.generator.customers import Customer, CustomerPool
from sandbox.generator.names import FIRST_NAMES, LAST_NAMES
from sandbox.generator.orders import GUEST_TICKET_RATE, ShopState, build_order
from sandbox.generator.personas import PERSONA_DEFS
from sandbox.generator.rand import below, randint

HOUR = 3600
DAY = 86_400
GUEST_RATE = 0.13


@dataclass
class ShopRun:
    state: ShopState
    pool: CustomerPool
    ids: ChatwootIds
    agents: list[Agent]
    inboxes: list[tuple[int, str, str]]
    # customer seq -> contact; contact id -> [contact, first visible created, last activity]
    customer_contacts: dict[int, dict] = field(default_factory=dict)
    contacts: dict[int, list] = field(default_factory=dict)

    @property
    def shop(self):  # noqa: ANN201 - ShopDef
        return self.state.shop

    def place_order(
        self, rng: random.Random, created: int, month: int
    ) -> tuple[dict, Customer | None, list[dict]]:
        customer = None
        if rng.random() >= GUEST_RATE:
            customer = self.pool.pick(rng, month, created - randint(rng, 60, 3 * 3600))
        gid = self.pool.gid(customer) if customer else None
        plan = build_order(self.state, rng, created, customer, gid, month)
        if customer is not None:
            spent = 0 if plan["test"] or plan["cancel"] else plan["total"]
            self.pool.record_order(rng, customer, created, spent)
        return plan, customer, self._tickets(rng, plan, customer)

    def _tickets(self, rng: random.Random, plan: dict, customer: Customer | None) -> list[dict]:
        if plan["test"]:
            return []
        rate = PERSONA_DEFS[customer.persona].ticket_rate if customer else GUEST_TICKET_RATE
        created = plan["created"]
        issue = plan["issue"]
        topic = None
        at = created
        linked = True
        if issue and rng.random() < 0.6:
            topic = {"delayed_shipping": "order_status", "inventory_shortage": "order_status"}.get(
                issue[0], issue[0]
            )
            at = issue[2] + randint(rng, HOUR, 12 * HOUR)
        elif plan["refunds"] and rng.random() < 0.5:
            topic = "return"
            at = max(created + HOUR, plan["refunds"][0][1] - randint(rng, HOUR, 3 * DAY))
        elif rng.random() < rate:
            topic = rng.choices(("order_status", "fitment", "praise"), (0.45, 0.35, 0.2))[0]
            if topic == "order_status":
                at = created + randint(rng, 2 * DAY, 6 * DAY)
            elif topic == "fitment":
                at = created - randint(rng, HOUR, 3 * DAY)
                linked = rng.random() < 0.4
            else:
                at = created + randint(rng, 5 * DAY, 12 * DAY)
        if topic is None:
            return []
        contact = self._contact(rng, customer, at)
        line = plan["lines"][below(rng, len(plan["lines"]))]
        vehicle = VEHICLES[below(rng, len(VEHICLES))]
        conv = plan_conversation(
            rng,
            self.ids,
            self.shop,
            self.agents,
            self.inboxes,
            contact,
            topic,
            at,
            plan if linked else None,
            line[2],
            vehicle,
        )
        return [conv]

    def _contact(self, rng: random.Random, customer: Customer | None, at: int) -> dict:
        if customer is not None and customer.seq in self.customer_contacts:
            return self.customer_contacts[customer.seq]
        self.ids.contact += 1
        if customer is not None:
            first, last = customer.first, customer.last_name
            email = f"{first}.{last}.{customer.seq}@example.com".lower()
            phone = customer.phone
            numeric = str(self.shop.id_base + customer.seq)
            identifier = f"shopify:{numeric}"
            custom = {"shopify_customer_id": numeric}
        else:
            first = FIRST_NAMES[below(rng, len(FIRST_NAMES))]
            last = LAST_NAMES[below(rng, len(LAST_NAMES))]
            email = f"{first}.{last}.g{self.ids.contact}@example.net".lower()
            phone = None
            identifier = None
            custom = {}
        contact = {
            "id": self.ids.contact,
            "name": f"{first} {last}",
            "email": email,
            "phone_number": phone,
            "identifier": identifier,
            "created_at": at,
            "custom_attributes": custom,
        }
        if customer is not None:
            self.customer_contacts[customer.seq] = contact
        return contact
