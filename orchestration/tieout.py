"""Tie-out against the sources (issue 18): our figures of a recent local day beside the sources'.

Per shop, for each of the last ``DAYS`` complete local days (as of the build, ``shops.as_of_date``):

- Shopify: counted orders (non-test, not cancelled, created that local day) in
  ``sales_metrics_daily`` against ``ordersCount(query:)`` over the same filters
  (``created_at`` in the day, ``test:false -status:cancelled``), and the day's gross total against
  the sum of ``totalPriceSet`` of the same orders paged with ``orders(query:)`` (the Admin API has
  no sum aggregate).
- Chatwoot: conversations created in the day and their average first response (seconds) in
  ``cx_conversations`` against ``/api/v2/accounts/{id}/reports/summary?type=account`` for the
  same window.

Tolerances (``TOLERANCES``): counts must be equal; the gross total within 0.01; the average first
response within 60 seconds or 5%, whichever is larger (Chatwoot averages its own reporting
events). A mismatch names the shop, day, figure and both values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from psycopg2 import sql

DAYS = 2
TOLERANCES = {
    "orders": Decimal(0),
    "gross": Decimal("0.01"),
    "conversations": Decimal(0),
    "avg_first_response_s": None,  # max(60 s, 5% of the source's value)
}
_ORDERS_PAGE = """
query TieOut($q: String!, $after: String) {
  orders(first: 250, after: $after, query: $q) {
    edges { node { totalPriceSet { shopMoney { amount } } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
_ORDERS_COUNT = """
query TieOutCount($q: String!) { ordersCount(query: $q, limit: null) { count precision } }
"""


@dataclass(frozen=True)
class Figure:
    shop: str
    day: date
    name: str
    ours: Decimal
    theirs: Decimal

    @property
    def within_tolerance(self) -> bool:
        allowed = TOLERANCES[self.name]
        if allowed is None:
            allowed = max(Decimal(60), abs(self.theirs) * Decimal("0.05"))
        return abs(self.ours - self.theirs) <= allowed

    def describe(self) -> str:
        where = f"{self.shop} {self.day.isoformat()} {self.name}"
        return f"{where}: ours {self.ours}, source {self.theirs}"


def shop_days(conn, schema: str) -> list[tuple[str, str, date]]:  # noqa: ANN001
    """(shop, time zone, day) for the last DAYS complete local days of every shop."""
    with conn.cursor() as cur:
        query = "select shop_domain, iana_timezone, as_of_date from {}.shops order by 1"
        cur.execute(sql.SQL(query).format(sql.Identifier(schema)))
        rows = cur.fetchall()
    days = range(1, DAYS + 1)
    return [(shop, tz, as_of - timedelta(days=k)) for shop, tz, as_of in rows for k in days]


def day_window(tz: str, day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz)
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    following = day + timedelta(days=1)
    return start, datetime(following.year, following.month, following.day, tzinfo=zone)


def shopify_figures(client: Any, start: datetime, end: datetime) -> tuple[Decimal, Decimal]:
    """(orders, gross) of the counted orders created in [start, end), from Shopify."""
    search = (
        f"created_at:>='{start.isoformat()}' created_at:<'{end.isoformat()}'"
        " test:false -status:cancelled"
    )
    count = client.query(_ORDERS_COUNT, {"q": search})["ordersCount"]["count"]
    gross, after = Decimal(0), None
    while True:
        page = client.query(_ORDERS_PAGE, {"q": search, "after": after})["orders"]
        gross += sum(
            (Decimal(e["node"]["totalPriceSet"]["shopMoney"]["amount"]) for e in page["edges"]),
            Decimal(0),
        )
        if not page["pageInfo"]["hasNextPage"]:
            return Decimal(count), gross
        after = page["pageInfo"]["endCursor"]


def our_sales(conn, schema: str, shop: str, day: date) -> tuple[Decimal, Decimal]:  # noqa: ANN001
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL(
                "select coalesce(sum(total_orders), 0), coalesce(sum(total_revenue), 0)"
                " from {}.sales_metrics_daily where shop_domain = %s and date = %s"
            ).format(sql.Identifier(schema)),
            (shop, day),
        )
        orders, revenue = cur.fetchone()
    return Decimal(orders), Decimal(revenue)


def our_cx(conn, schema: str, shop: str, start: datetime, end: datetime) -> tuple[Decimal, Decimal]:  # noqa: ANN001
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL(
                "select count(*), coalesce(avg(extract(epoch from first_response_at"
                " - conversation_created_at)), 0) from {}.cx_conversations"
                " where shop_domain = %s and conversation_created_at >= %s"
                " and conversation_created_at < %s"
            ).format(sql.Identifier(schema)),
            (shop, start, end),
        )
        count, average = cur.fetchone()
    return Decimal(count), Decimal(average).quantize(Decimal("0.01"))


def chatwoot_figures(client: Any, start: datetime, end: datetime) -> tuple[Decimal, Decimal]:
    summary = client.reports_summary(int(start.timestamp()), int(end.timestamp()))
    count = Decimal(str(summary.get("conversations_count") or 0))
    average = Decimal(str(summary.get("avg_first_response_time") or 0))
    return count, average.quantize(Decimal("0.01"))


def tie_out_shopify(conn, schema: str, clients: dict[str, Any]) -> list[Figure]:  # noqa: ANN001
    """Every compared Shopify figure; ``clients`` maps a shop to its GraphQL client."""
    figures = []
    for shop, tz, day in shop_days(conn, schema):
        if shop not in clients:
            continue
        orders, gross = our_sales(conn, schema, shop, day)
        their_orders, their_gross = shopify_figures(clients[shop], *day_window(tz, day))
        figures.append(Figure(shop, day, "orders", orders, their_orders))
        figures.append(Figure(shop, day, "gross", gross, their_gross))
    return figures


def tie_out_chatwoot(conn, schema: str, clients: dict[str, Any]) -> list[Figure]:  # noqa: ANN001
    """Every compared Chatwoot figure; ``clients`` maps a shop to its account's client."""
    figures = []
    for shop, tz, day in shop_days(conn, schema):
        if shop not in clients:
            continue
        start, end = day_window(tz, day)
        count, average = our_cx(conn, schema, shop, start, end)
        their_count, their_average = chatwoot_figures(clients[shop], start, end)
        figures.append(Figure(shop, day, "conversations", count, their_count))
        figures.append(Figure(shop, day, "avg_first_response_s", average, their_average))
    return figures
