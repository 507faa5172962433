"""Issue 18 views against figures recomputed from the sandbox's truth (never from the marts).

The warehouse is the one of test_views_contract (same store, same clock), built once for this
module: YoY in the growth views, carrier performance, support joined to commerce.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from orchestration import tieout
from orchestration.defs.tieout_checks import (
    SHOPIFY_CHECK,
    chatwoot_clients,
    evaluate,
    shopify_clients,
)
from sandbox.generator.clock import zone
from sandbox.server import start_server
from tests.dbt import test_views_contract as contract
from tests.dbt.test_views_contract import _as_of_day, _by_shop, _dicts
from tests.extractors.sandbox_helpers import sandbox_env
from warehouse.connection import connect

# the contract module's fixtures, built once more for this module
store = contract.store
dbt_target = contract.dbt_target
built = contract.built

# -- YoY --------------------------------------------------------------------------------------


def _revenue(daily: dict, first: date, last: date) -> Decimal:
    total = Decimal(0)
    day = first
    while day <= last:
        total += Decimal(daily.get(day.isoformat(), {}).get("gross_revenue", "0"))
        day += timedelta(days=1)
    return total


def test_kpi_summary_compares_mtd_and_30_days_with_the_same_dates_last_year(built, store):
    truth = store.truth()["shops"]
    rows = _by_shop(built, "v_kpi_summary")
    assert set(rows) == set(truth)
    compared = 0
    for shop, figures in truth.items():
        daily = figures["daily"]
        today = date.fromisoformat(_as_of_day(store, shop))
        ly = today.replace(year=today.year - 1)
        first_day = min(date.fromisoformat(d) for d, f in daily.items() if f["orders"])
        row = rows[shop]
        assert row["revenue_30d"] == _revenue(daily, today - timedelta(days=29), today), shop
        # the demo's 400 days never reach back to last 1 January: no partial YTD growth
        assert row["ytd_revenue_last_year"] is None and row["yoy_ytd_revenue_pct"] is None
        if first_day > ly.replace(day=1):  # a younger shop: no last-year month to compare
            assert row["mtd_revenue_last_year"] is None and row["yoy_mtd_revenue_pct"] is None
            continue
        mtd_ly = _revenue(daily, ly.replace(day=1), ly)
        assert row["mtd_revenue_last_year"] == mtd_ly, shop
        assert row["revenue_30d_last_year"] == _revenue(daily, ly - timedelta(days=29), ly), shop
        mtd = _revenue(daily, today.replace(day=1), today)
        assert row["yoy_mtd_revenue_pct"] == round(100 * (mtd - mtd_ly) / mtd_ly, 2), shop
        compared += 1
    assert compared >= 1, "a demo shop should have a year of history"


def test_growth_rates_compare_each_week_with_the_week_52_weeks_earlier(built, store):
    truth = store.truth()["shops"]
    rows = _dicts(built, "select * from marts.v_growth_rates")
    compared = 0
    for row in rows:
        shop = row["shop_domain"]
        daily = truth[shop]["daily"]
        today = date.fromisoformat(_as_of_day(store, shop))
        first_day = min(date.fromisoformat(d) for d, f in daily.items() if f["orders"])
        start = row["week_start"] - timedelta(days=364)
        if start < first_day:
            assert row["same_week_last_year_revenue"] is None, (shop, row["week_start"])
            continue
        end = min(row["week_start"] + timedelta(days=6), today) - timedelta(days=364)
        expected = _revenue(daily, start, end)
        assert row["same_week_last_year_revenue"] == expected, (shop, row["week_start"])
        if expected:
            growth = round(100 * (row["weekly_revenue"] - expected) / expected, 2)
            assert row["yoy_revenue_growth_pct"] == growth
        compared += 1
    assert compared >= len(truth) * 3, "every shop should have weeks with a year of history"


# -- carriers ---------------------------------------------------------------------------------


def _shop_zone(store, shop: str):  # noqa: ANN001, ANN202
    return zone(next(s["timezone"] for s in store.shops() if s["domain"] == shop))


def _carrier_truth(store, shop: str) -> dict[str, list]:  # noqa: ANN001
    """carrier -> [shipments, due, on time, [days to deliver]] from the landed orders."""
    as_of = store.now
    figures: dict[str, list] = {}
    for record in store.iter_records("shopify", "orders", shop):
        order = record.payload
        if order["test"]:
            continue
        for ful in order["fulfillments"]:
            if ful["status"] != "SUCCESS":
                continue
            tracking = ful.get("trackingInfo") or []
            carrier = tracking[0]["company"] if tracking else "No tracking"
            row = figures.setdefault(carrier, [0, 0, 0, []])
            row[0] += 1
            shipped = _ts(ful["createdAt"])
            delivered = _ts(ful["deliveredAt"]) if ful["deliveredAt"] else None
            promised = _ts(ful["estimatedDeliveryAt"]) if ful["estimatedDeliveryAt"] else None
            if delivered is not None:
                row[3].append((delivered - shipped).total_seconds() / 86400)
            if promised is None or (delivered is None and promised >= as_of):
                continue
            row[1] += 1
            row[2] += delivered is not None and delivered <= promised
    return figures


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_carrier_on_time_and_delivery_days_match_the_landed_shipments(built, store):
    rows = _dicts(
        built,
        "select shop_domain, carrier, sum(shipments) as shipments, sum(due_shipments) as due,"
        " sum(on_time_shipments) as on_time from marts.v_carrier_performance group by 1, 2",
    )
    got = {(r["shop_domain"], r["carrier"]): r for r in rows}
    carriers = set()
    for shop in store.truth()["shops"]:
        for carrier, (shipments, due, on_time, _days) in _carrier_truth(store, shop).items():
            row = got.pop((shop, carrier))
            assert (row["shipments"], row["due"], row["on_time"]) == (shipments, due, on_time)
            carriers.add(carrier)
    assert not got, f"carriers the landed shipments do not have: {sorted(got)}"
    assert {"USPS", "UPS", "FedEx"} <= carriers


def test_fulfillment_health_carries_the_30_day_carrier_panel(built, store):
    rows = _by_shop(built, "v_fulfillment_health_summary")
    window_start = store.now - timedelta(days=30)
    for shop in store.truth()["shops"]:
        panel = {entry["carrier"]: entry for entry in rows[shop]["carrier_panel"]}
        days: dict[str, list[float]] = {}
        for record in store.iter_records("shopify", "orders", shop):
            if record.payload["test"]:
                continue
            for ful in record.payload["fulfillments"]:
                shipped = _ts(ful["createdAt"])
                if ful["status"] == "SUCCESS" and window_start <= shipped <= store.now:
                    carrier = (ful.get("trackingInfo") or [{"company": "No tracking"}])[0]
                    spent = days.setdefault(carrier["company"], [])
                    if ful["deliveredAt"]:
                        spent.append((_ts(ful["deliveredAt"]) - shipped).total_seconds() / 86400)
        assert set(panel) == set(days), shop
        for carrier, spent in days.items():
            if spent:
                expected = round(Decimal(sum(spent) / len(spent)), 2)
                got = Decimal(str(panel[carrier]["avg_days_to_deliver"]))
                assert abs(got - expected) <= Decimal("0.01"), (shop, carrier)


# -- support beside commerce ------------------------------------------------------------------


def test_contacts_per_100_orders_match_the_landed_conversations(built, store):
    truth = store.truth()["shops"]
    rows = _dicts(built, "select * from marts.v_cx_commerce_daily")
    assert {r["shop_domain"] for r in rows} == set(truth)
    by_day = {(r["shop_domain"], r["date"].isoformat()): r for r in rows}
    checked = 0
    for shop, figures in truth.items():
        tz = _shop_zone(store, shop)
        conversations: dict[str, int] = {}
        for record in store.iter_records("chatwoot", "conversations", shop):
            day = datetime.fromtimestamp(record.payload["created_at"], tz).date().isoformat()
            conversations[day] = conversations.get(day, 0) + 1
        for day, count in conversations.items():
            row = by_day[(shop, day)]
            assert row["conversations"] == count, (shop, day)
            orders = figures["daily"].get(day, {"orders": 0})["orders"]
            assert row["orders"] == orders, (shop, day)
            if orders:
                assert row["contacts_per_100_orders"] == round(Decimal(100 * count) / orders, 2)
                checked += 1
    assert checked > 50


def test_conversations_link_to_the_order_they_name_and_its_customer(built, store):
    links = {
        (r["shop_domain"], r["conversation_id"]): r
        for r in _dicts(built, "select * from marts.cx_commerce_links")
    }
    linked = total = 0
    for shop in store.truth()["shops"]:
        customers = {}
        for record in store.iter_records("shopify", "orders", shop):
            order = record.payload
            customer = order["customer"]["id"].rsplit("/", 1)[1] if order["customer"] else None
            customers[order["name"]] = (int(order["id"].rsplit("/", 1)[1]), customer)
        for record in store.iter_records("chatwoot", "conversations", shop):
            conv = record.payload
            row = links[(shop, conv["id"])]
            total += 1
            name = conv["custom_attributes"].get("order_name")
            if name is None:
                continue
            order_id, customer = customers[name]
            assert row["order_id"] == order_id, (shop, conv["id"])
            if customer is not None:
                assert row["customer_id"] == int(customer), (shop, conv["id"])
            linked += 1
    assert linked / total > 0.5


def test_customer_support_history_counts_each_customers_conversations(built, store):
    rows = _dicts(built, "select * from marts.customer_support_history")
    got = {(r["shop_domain"], r["customer_id"]): r["conversations"] for r in rows}
    segments = _dicts(
        built,
        "select shop_domain, sum(support_conversations) as n from marts.v_customer_lifetime_value"
        " group by 1",
    )
    expected_total: dict[str, int] = {}
    for shop in store.truth()["shops"]:
        owner = {}
        for record in store.iter_records("chatwoot", "contacts", shop):
            numeric = record.payload["custom_attributes"].get("shopify_customer_id")
            if numeric is not None:
                owner[record.payload["id"]] = int(numeric)
        counts: dict[int, int] = {}
        for record in store.iter_records("chatwoot", "conversations", shop):
            customer = owner.get(record.payload["meta"]["sender"]["id"])
            if customer is not None:
                counts[customer] = counts.get(customer, 0) + 1
        for customer, count in counts.items():
            assert got[(shop, customer)] == count, (shop, customer)
        expected_total[shop] = sum(counts.values())
    assert sum(expected_total.values()) > 100
    for row in segments:
        # customers without orders are not in the segment value view; the demo has none with talks
        assert row["n"] <= expected_total[row["shop_domain"]]
        assert row["n"] > 0


# -- learning from decisions ------------------------------------------------------------------

PRIOR_STRENGTH = 5  # dbt var approval_prior_strength


def _approval_model(decisions: list[tuple[str, bool, datetime]], now: datetime) -> dict:
    """scope -> (likelihood %, backtest accuracy % or None), recomputed from the decision log."""
    held_from = now - timedelta(days=30)

    def fit(rows: list, at: datetime) -> dict[str, float]:
        prior = sum(a for _, a, _ in rows) / len(rows)
        sums: dict[str, list[float]] = {}
        for scope, approved, created in rows:
            weight = 0.5 ** ((at - created).total_seconds() / 86400 / 30)
            entry = sums.setdefault(scope, [0.0, 0.0])
            entry[0] += weight
            entry[1] += weight * approved
        return {
            s: (w1 + PRIOR_STRENGTH * prior) / (w + PRIOR_STRENGTH) for s, (w, w1) in sums.items()
        }

    full = fit(decisions, now)
    training = [d for d in decisions if d[2] < held_from]
    trained = fit(training, held_from) if training else {}
    prior = sum(a for _, a, _ in training) / len(training) if training else 0.5
    result = {}
    for scope, likelihood in full.items():
        held = [a for s, a, c in decisions if s == scope and c >= held_from]
        p = trained.get(scope, prior)  # no training decision of the scope: the shop's rate
        accuracy = round(100 * sum((p >= 0.5) == a for a in held) / len(held), 2) if held else None
        result[scope] = (round(100 * likelihood, 2), accuracy)
    return result


def test_approval_model_and_its_backtest_match_the_decision_log(built, store):
    rows = _dicts(built, "select * from marts.v_recommendation_approval_model")
    got = {(r["shop_domain"], r["scope"]): r for r in rows}
    compared = 0
    for shop in store.truth()["shops"]:
        decisions = []
        for record in store.iter_records("app", "decision_log", shop):
            d = record.payload
            created = _ts(d["created_at"])
            if d["decision"] in ("approved", "rejected") and created <= store.now:
                decisions.append((d["scope"].lower(), d["decision"] == "approved", created))
        for scope, (likelihood, accuracy) in _approval_model(decisions, store.now).items():
            row = got[(shop, scope)]
            assert abs(row["approval_likelihood_pct"] - Decimal(str(likelihood))) <= Decimal(
                "0.01"
            ), (shop, scope)
            if accuracy is not None and row["backtest_decisions"]:
                assert abs(row["backtest_accuracy_pct"] - Decimal(str(accuracy))) <= Decimal(
                    "0.01"
                ), (shop, scope)
            compared += 1
    assert compared >= len(store.truth()["shops"])


# -- tie-out against the sources (last: the corruption test changes the warehouse) -------------


@pytest.fixture(scope="module")
def sources(store, built) -> Iterator[str]:
    """The stand-ins serving the same store, configured in the environment like `make run`."""
    server = start_server(store, port=0)
    with pytest.MonkeyPatch.context() as env:
        for name, value in sandbox_env(server.url, store).items():
            env.setenv(name, value)
        env.setenv("HOTROD_DATABASE_URL", built.url)
        yield server.url
    server.stop()


def _tie_out(url, compare, make_clients) -> list:  # noqa: ANN001
    clients, https = make_clients()
    conn = connect(url, autocommit=True)
    try:
        return compare(conn, "marts", clients)
    finally:
        conn.close()
        for http in https:
            http.close()


def test_orders_gross_and_cx_tie_out_with_the_sources(built, store, sources):
    shops = len(store.truth()["shops"])
    shopify = _tie_out(built, tieout.tie_out_shopify, shopify_clients)
    chatwoot = _tie_out(built, tieout.tie_out_chatwoot, chatwoot_clients)
    assert len(shopify) == len(chatwoot) == shops * tieout.DAYS * 2
    assert [f.describe() for f in shopify + chatwoot if not f.within_tolerance] == []
    assert sum(f.theirs for f in shopify if f.name == "orders") > 0
    assert sum(f.theirs for f in chatwoot if f.name == "conversations") > 0


def test_a_corrupted_raw_order_fails_the_shopify_check_naming_it(built, store, sources, dbt_target):
    shop = next(iter(store.truth()["shops"]))
    day = date.fromisoformat(_as_of_day(store, shop)) - timedelta(days=1)
    tz = _shop_zone(store, shop)
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    conn = connect(built, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            "update raw_shopify.orders set payload = jsonb_set(payload, '{test}', 'true')"
            " where id = (select id from raw_shopify.orders where shop_domain = %s"
            " and not (payload->>'test')::boolean and payload->>'cancelledAt' is null"
            " and (payload->>'createdAt')::timestamptz >= %s"
            " and (payload->>'createdAt')::timestamptz < %s order by id limit 1)",
            (shop, start, start + timedelta(days=1)),
        )
        assert cur.rowcount == 1
    conn.close()
    as_of = json.dumps({"as_of": store.now.strftime("%Y-%m-%dT%H:%M:%SZ")})
    contract._dbt(
        built, dbt_target, ["run", "--full-refresh", "-s", "+sales_metrics_daily", "--vars", as_of]
    )
    check = connect(built, autocommit=True)
    try:
        result = evaluate(SHOPIFY_CHECK, check)
    finally:
        check.close()
    assert not result.passed
    assert f"{shop} {day.isoformat()} orders: ours" in result.description
    assert result.description.count(" orders: ours") == 1  # only that shop and day
