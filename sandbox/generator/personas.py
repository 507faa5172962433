"""The five customer personas of SPEC §3 and the behaviour that makes them learnable.

Rules a segmentation model can recover from the data (the hidden persona is kept for scoring):

* Professional Shop: ``wholesale`` tag, frequent orders all year, many lines, 3-10 units a line,
  a TRADE15 discount, AN fittings/hose and engine parts; AOV in the high hundreds.
* Racing Enthusiast: fuel, ignition, exhaust, suspension and brakes, mostly parts flagged
  performance; buys in the racing season (March-September), mid-size orders.
* Enthusiast Collector: restoration trim and parts flagged restoration, for classic fitments;
  few but expensive single-unit orders, busiest in the winter build season.
* First-time Builder: one or two small orders (rebuild and gasket kits, fittings), many
  support conversations (fitment questions), a WELCOME10 code on the first order.
* DIY Builder: a repeat buyer of a broad mix that leans to fabrication parts (AN fittings and
  hose, weld-on parts); moderate frequency and order size.
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
    focus: str | None = None  # part focus they keep to (performance/restoration/fabrication)
    focus_rate: float = 0.0  # how often a line keeps to that focus


FLAT = (1.0,) * 12
RACING_SEASON = (0.3, 0.5, 1.2, 1.5, 1.6, 1.6, 1.6, 1.5, 1.3, 0.7, 0.4, 0.3)
WINTER_BUILD = (1.6, 1.5, 1.2, 0.9, 0.7, 0.6, 0.6, 0.7, 0.9, 1.2, 1.5, 1.7)

PERSONA_DEFS: dict[str, Persona] = {
    DIY: Persona(
        name=DIY,
        share=0.30,
        frequency=1.4,
        max_orders=None,
        lines=(1, 3),
        units=(1, 2),
        categories={
            "AN Fittings & Hose": 4,
            "Fabrication": 3,
            "Engine": 2,
            "Fuel & Carburetion": 1.5,
            "Ignition": 1,
            "Brakes": 0.5,
            "Exhaust": 0.5,
        },
        season=FLAT,
        ticket_rate=0.07,
        refund_rate=0.05,
        churn=0.04,
        focus="fabrication",
        focus_rate=0.6,
    ),
    PRO: Persona(
        name=PRO,
        share=0.09,
        frequency=4.5,
        max_orders=None,
        lines=(2, 6),
        units=(2, 8),
        categories={
            "AN Fittings & Hose": 5,
            "Engine": 3,
            "Fabrication": 2,
            "Fuel & Carburetion": 1.5,
            "Ignition": 1,
            "Brakes": 0.5,
        },
        season=FLAT,
        ticket_rate=0.05,
        refund_rate=0.03,
        churn=0.01,
    ),
    COLLECTOR: Persona(
        name=COLLECTOR,
        share=0.16,
        frequency=0.8,
        max_orders=None,
        lines=(1, 2),
        units=(1, 1),
        categories={
            "Restoration Trim": 6,
            "Engine": 1,
            "Exhaust": 0.7,
            "Suspension": 0.6,
            "Brakes": 0.6,
        },
        season=WINTER_BUILD,
        ticket_rate=0.10,
        refund_rate=0.06,
        churn=0.05,
        focus="restoration",
        focus_rate=0.9,
    ),
    FIRST_TIME: Persona(
        name=FIRST_TIME,
        share=0.25,
        frequency=0.5,
        max_orders=2,
        lines=(1, 2),
        units=(1, 2),
        categories={"Fuel & Carburetion": 3, "Engine": 2, "AN Fittings & Hose": 2, "Ignition": 1},
        season=FLAT,
        ticket_rate=0.30,
        refund_rate=0.12,
        churn=0.4,
    ),
    RACING: Persona(
        name=RACING,
        share=0.20,
        frequency=1.6,
        max_orders=None,
        lines=(1, 4),
        units=(1, 3),
        categories={
            "Fuel & Carburetion": 4,
            "Ignition": 3,
            "Exhaust": 2.5,
            "Suspension": 2.5,
            "Brakes": 1.5,
            "AN Fittings & Hose": 1,
        },
        season=RACING_SEASON,
        ticket_rate=0.06,
        refund_rate=0.04,
        churn=0.05,
        focus="performance",
        focus_rate=0.9,
    ),
}
