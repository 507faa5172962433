"""The five customer personas of SPEC §3 and the behaviour that makes them learnable.

Rules a segmentation model can recover from the data (the hidden persona is kept for scoring):

* Professional Shop: ``wholesale`` tag, frequent orders all year, many lines, 3-10 units a line,
  a TRADE15 discount, AN fittings/hose and engine parts; AOV in the high hundreds.
* Racing Enthusiast: fuel, ignition, exhaust, suspension and brakes (performance parts), buys in
  the racing season (March-September), mid-size orders.
* Enthusiast Collector: restoration trim and restoration parts for classic fitments, few but
  expensive single-unit orders, busiest in the winter build season.
* First-time Builder: one or two small orders (rebuild and gasket kits, fittings), many
  support conversations (fitment questions), a WELCOME10 code on the first order.
* DIY Builder: everything else — a broad mix of engine, fittings and fabrication parts, moderate
  frequency and order size.
"""

from __future__ import annotations

from dataclasses import dataclass

DIY = "DIY Builder"
PRO = "Professional Shop"
COLLECTOR = "Enthusiast Collector"
FIRST_TIME = "First-time Builder"
RACING = "Racing Enthusiast"

PERSONAS = (DIY, PRO, COLLECTOR, FIRST_TIME, RACING)


@dataclass(frozen=True)
class Persona:
    name: str
    share: float  # share of new customers
    frequency: float  # relative chance of a repeat order
    max_orders: int | None
    lines: tuple[int, int]  # distinct lines per order
    units: tuple[int, int]  # units per line
    categories: dict[str, float]  # taxonomy level 1 preference
    season: tuple[float, ...]  # month multiplier on repeat orders
    ticket_rate: float  # chance an order leads to a support conversation
    refund_rate: float
    churn: float  # chance a customer stops buying after an order


FLAT = (1.0,) * 12
RACING_SEASON = (0.3, 0.5, 1.2, 1.5, 1.6, 1.6, 1.6, 1.5, 1.3, 0.7, 0.4, 0.3)
WINTER_BUILD = (1.6, 1.5, 1.2, 0.9, 0.7, 0.6, 0.6, 0.7, 0.9, 1.2, 1.5, 1.7)

PERSONA_DEFS: dict[str, Persona] = {
    DIY: Persona(
        DIY,
        0.30,
        1.0,
        None,
        (1, 3),
        (1, 2),
        {
            "Engine": 3,
            "AN Fittings & Hose": 3,
            "Fabrication": 2,
            "Fuel & Carburetion": 2,
            "Ignition": 1,
            "Brakes": 1,
            "Suspension": 1,
            "Exhaust": 1,
            "Restoration Trim": 0.5,
        },
        FLAT,
        0.07,
        0.05,
        0.06,
    ),
    PRO: Persona(
        PRO,
        0.09,
        4.5,
        None,
        (2, 6),
        (2, 8),
        {
            "AN Fittings & Hose": 5,
            "Engine": 3,
            "Fabrication": 2,
            "Fuel & Carburetion": 1.5,
            "Ignition": 1,
            "Brakes": 0.5,
        },
        FLAT,
        0.05,
        0.03,
        0.01,
    ),
    COLLECTOR: Persona(
        COLLECTOR,
        0.16,
        0.8,
        None,
        (1, 2),
        (1, 1),
        {"Restoration Trim": 6, "Engine": 1, "Exhaust": 0.7, "Suspension": 0.6, "Brakes": 0.6},
        WINTER_BUILD,
        0.10,
        0.06,
        0.05,
    ),
    FIRST_TIME: Persona(
        FIRST_TIME,
        0.25,
        0.5,
        2,
        (1, 2),
        (1, 2),
        {"Fuel & Carburetion": 3, "Engine": 2, "AN Fittings & Hose": 2, "Ignition": 1},
        FLAT,
        0.30,
        0.12,
        0.4,
    ),
    RACING: Persona(
        RACING,
        0.20,
        1.6,
        None,
        (1, 4),
        (1, 3),
        {
            "Fuel & Carburetion": 4,
            "Ignition": 3,
            "Exhaust": 2.5,
            "Suspension": 2.5,
            "Brakes": 1.5,
            "AN Fittings & Hose": 1,
        },
        RACING_SEASON,
        0.06,
        0.04,
        0.05,
    ),
}
