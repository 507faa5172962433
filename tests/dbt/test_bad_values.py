"""Bad values never stop the build (issue 20 item 3).

Ten raw orders, each with one of the bad values an operator's bad day brings (an amount that
overflows, is "null" or empty; an unparseable or 2099 creation time; a quantity "many",
3,000,000,000 or negative; a EUR order in a USD shop; a null total), land next to a clean sandbox.
The whole project builds with exit 0; every bad value is listed in stg_shopify__rejected_values
or int_orders_data_issues and in v_data_quality_alerts / v_data_quality_checks; every contract
view (the tiles) is built; none of the ten orders reaches a money figure.

Every other source family too: a bad value in a customer, a variant, an inventory level, a
location, a fulfillment, the app tables, each Chatwoot table and GA4 is null in staging (a record
whose key does not parse is not staged), listed in stg_warehouse__rejected_values (or, for the
fulfillment, stg_shopify__rejected_values) and in v_data_quality_alerts, and counted by the
rejected_source_values check.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from sandbox.store import SandboxStore
from tests.security.support import query as _rows
from tests.support.dbt_runs import failure_summary, run_dbt_isolated
from tests.support.raw_loader import load_store
from warehouse.connection import connect
from warehouse.settings import DatabaseUrl

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
AS_OF = "2026-06-01T12:00:00Z"
SHOP = "hot-rod-an.sandbox.test"
FIRST_BAD_ID = 980_000_001


def _amount(order: dict, value: object) -> None:
    order["totalPriceSet"] = {"shopMoney": {"amount": value, "currencyCode": "USD"}}


def _created(order: dict, value: str) -> None:
    order["createdAt"] = value


def _quantity(order: dict, value: object) -> None:
    order["lineItems"][0]["quantity"] = value


def _eur(order: dict, value: str) -> None:
    order["currencyCode"] = "EUR"
    order["totalPriceSet"] = {"shopMoney": {"amount": value, "currencyCode": "EUR"}}


def _null_total(order: dict, value: None) -> None:
    order["totalPriceSet"] = value


def _delivered(order: dict, value: str) -> None:
    order["fulfillments"][0]["deliveredAt"] = value


# (name, how the order is spoiled, the value, where it must be listed)
BAD = [
    ("amount overflows", _amount, "123456789012345678901.00", "rejected"),
    ("timestamp unparseable", _created, "last tuesday", "rejected"),
    ("quantity many", _quantity, "many", "rejected"),
    ("quantity 3e9", _quantity, 3_000_000_000, "rejected"),
    ("amount string null", _amount, "null", "rejected"),
    ("amount empty", _amount, "", "rejected"),
    ("quantity negative", _quantity, -2, "quantity_not_positive"),
    ("dated 2099", _created, "2099-03-01T10:00:00Z", "future_created_at"),
    ("EUR in a USD shop", _eur, "1000.00", "currency_mismatch"),
    ("null total", _null_total, None, "missing_total"),
    ("fulfillment time unparseable", _delivered, "soon", "rejected"),
]

# A bad value in a stored record of every other source family:
# (raw table, path in the payload, the value, field_name in stg_warehouse__rejected_values)
SOURCE_BAD = [
    ("raw_shopify.customers", ("numberOfOrders",), "lots", "numberOfOrders"),
    ("raw_shopify.customers", ("amountSpent", "amount"), "1e400", "amountSpent.amount"),
    ("raw_shopify.products", ("createdAt",), "last tuesday", "createdAt"),
    ("raw_shopify.products", ("variants", 0, "price"), "free", "variants.price"),
    ("raw_shopify.inventory_levels", ("quantities", 0, "quantity"), "plenty", None),
    ("raw_shopify.locations", ("isActive",), "perhaps", "isActive"),
    ("raw_app.shops", ("installed_at",), "not yet", "installed_at"),
    ("raw_app.ceo_time_entries", ("minutes_data_entry",), "an hour", "minutes_data_entry"),
    ("raw_app.decision_log", ("created_at",), "2026-02-30", "created_at"),
    ("raw_chatwoot.conversations", ("created_at",), "whenever", "created_at"),
    ("raw_chatwoot.conversations", ("inbox_id",), "3000000000000000000000", "inbox_id"),
    ("raw_chatwoot.messages", ("created_at",), "99999999999999", "created_at"),
    ("raw_chatwoot.messages", ("private",), "maybe", "private"),
    ("raw_chatwoot.contacts", ("last_activity_at",), "garbage", "last_activity_at"),
    ("raw_chatwoot.agents", ("account_id",), "one", "account_id"),
    ("raw_chatwoot.inboxes", ("working_hours", 0, "open_hour"), "nine", "working_hours.open_hour"),
    ("raw_chatwoot.csat_survey_responses", ("rating",), "five", "rating"),
]
# New raw records whose key (or day) does not parse: listed, not staged.
# (raw table, raw id, payload, field_name, raw value)
NEW_BAD = [
    ("raw_chatwoot.inboxes", "abc", {"id": "abc", "name": "Bad", "channel_type": "Channel::Api"},
     "id", "abc"),
    ("raw_ga4.traffic_daily", "bad-day",
     {"date": "20261345", "sessionDefaultChannelGroup": "Direct", "deviceCategory": "desktop",
      "landingPage": "/", "sessions": "12"}, "date", "20261345"),
    ("raw_ga4.traffic_daily", "bad-sessions",
     {"date": "20260520", "sessionDefaultChannelGroup": "Direct", "deviceCategory": "desktop",
      "landingPage": "/bad-values", "sessions": "n/a"}, "sessions", "n/a"),
    ("raw_ga4.traffic_hourly", "bad-hour", {"dateHour": "2026052025", "sessions": "3"},
     "dateHour", "2026052025"),
]  # fmt: skip


@pytest.fixture(scope="module")
def store() -> Iterator[SandboxStore]:
    opened = SandboxStore.open(300, 11, now=NOW)
    try:
        yield opened
    finally:
        opened.close()


def _land_bad_orders(url: DatabaseUrl) -> dict[int, tuple[str, str]]:
    """Ten copies of a clean counted order, each spoiled one way; {order id: (name, where)}."""
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select payload from raw_shopify.orders where shop_domain = %s"
                " and (payload ->> 'test')::boolean is false and payload ->> 'cancelledAt' is null"
                " and jsonb_array_length(payload -> 'lineItems') > 0"
                " and jsonb_array_length(payload -> 'fulfillments') > 0"
                " and (payload ->> 'createdAt')::timestamptz < %s::timestamptz - interval '3 days'"
                " order by id limit 1",
                (SHOP, AS_OF),
            )
            template = cur.fetchone()[0]
            landed = {}
            for n, (name, spoil, value, where) in enumerate(BAD):
                order_id = FIRST_BAD_ID + n
                order = copy.deepcopy(template)
                order["id"] = f"gid://shopify/Order/{order_id}"
                order["name"] = f"#BAD{n}"
                for field, kind in (
                    ("lineItems", "LineItem"),
                    ("refunds", "Refund"),
                    ("fulfillments", "Fulfillment"),
                ):
                    for i, child in enumerate(order.get(field) or []):
                        child["id"] = f"gid://shopify/{kind}/{order_id}{i:03d}"
                spoil(order, value)
                cur.execute(
                    "insert into raw_shopify.orders"
                    " (shop_domain, id, updated_at, payload, batch_id)"
                    " values (%s, %s, %s, %s, 'bad-values')",
                    (SHOP, order["id"], NOW - timedelta(days=1), json.dumps(order)),
                )
                landed[order_id] = (name, where)
        return landed
    finally:
        conn.close()


def _set(payload: dict | list, path: tuple, value: object) -> None:
    for step in path[:-1]:
        payload = payload[step]
    payload[path[-1]] = value


def _land_bad_source_values(url: DatabaseUrl) -> set[tuple[str, str, str, str]]:
    """One bad value per other source family; {(table, record key, field_name, raw value)}."""
    expected = set()
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            used: dict[str, int] = {}
            for table, path, value, field in SOURCE_BAD:
                # a different record for each value of the same table
                offset = used[table] = used.get(table, -1) + 1
                cur.execute(
                    f"select id, payload from {table} where shop_domain = %s"  # noqa: S608
                    " order by id offset %s limit 1",
                    (SHOP, offset),
                )
                found = cur.fetchone()
                assert found, f"the sandbox has no {table} row to spoil"
                key, payload = found
                if field is None:  # an inventory quantity: named by its entry
                    field = f"quantities[{payload['quantities'][0]['name']}]"
                _set(payload, path, value)
                cur.execute(
                    f"update {table} set payload = %s where shop_domain = %s and id = %s",  # noqa: S608
                    (json.dumps(payload), SHOP, key),
                )
                expected.add((table, key, field, value))
            for table, key, payload, field, value in NEW_BAD:
                cur.execute(
                    f"insert into {table} (shop_domain, id, updated_at, payload, batch_id)"  # noqa: S608
                    " values (%s, %s, %s, %s, 'bad-values')",
                    (SHOP, key, NOW - timedelta(days=1), json.dumps(payload)),
                )
                expected.add((table, key, field, value))
        return expected
    finally:
        conn.close()


def test_ten_bad_values_build_green_are_listed_and_kept_out_of_money(
    module_db: DatabaseUrl, store: SandboxStore, tmp_path: Path
) -> None:
    load_store(module_db, store)
    bad = _land_bad_orders(module_db)
    ids = list(bad)
    source_bad = _land_bad_source_values(module_db)

    result = run_dbt_isolated(module_db, ["build"], tmp_path, as_of=AS_OF)
    assert result.returncode == 0, failure_summary(result)

    rejected = _rows(
        module_db,
        "select order_id, field_name, raw_value from staging.stg_shopify__rejected_values"
        " where shop_domain = %s",
        (SHOP,),
    )
    issues = _rows(
        module_db,
        "select order_id, issue from intermediate.int_orders_data_issues where shop_domain = %s",
        (SHOP,),
    )
    alerts = [
        message
        for (message,) in _rows(
            module_db,
            "select alert_message from marts.v_data_quality_alerts where shop_domain = %s"
            " and alert_type in ('rejected_value', 'flagged_order')",
            (SHOP,),
        )
    ]
    for order_id, (name, where) in bad.items():
        if where == "rejected":
            assert any(r[0] == order_id for r in rejected), f"{name}: not in rejected values"
            needle = f"gid://shopify/Order/{order_id}"
        else:
            assert (order_id, where) in issues, f"{name}: not flagged {where}"
            needle = f"order {order_id}: {where}"
        assert any(needle in a for a in alerts), f"{name}: not in v_data_quality_alerts"
    assert {r[2] for r in rejected if r[0] in ids} >= {
        "123456789012345678901.00", "last tuesday", "many", "3000000000", "null", "", "soon",
    }  # fmt: skip
    assert set(r[0] for r in rejected) <= set(ids)  # the clean sandbox rejects nothing

    checks = dict(
        _rows(
            module_db,
            "select check_name, issue_count from marts.v_data_quality_checks"
            " where shop_domain = %s",
            (SHOP,),
        )
    )
    for check in ("rejected_values", "bad_quantities", "orders_in_future", "currency_mismatch"):
        assert checks[check] >= 1, check
    assert checks["missing_totals"] >= 1

    # every other source family: each bad value listed (and nothing of the clean sandbox),
    # alerted and counted
    listed = set(
        _rows(
            module_db,
            "select source_table, record_key, field_name, raw_value"
            " from staging.stg_warehouse__rejected_values where shop_domain = %s",
            (SHOP,),
        )
    )
    assert listed == source_bad
    source_alerts = [
        message
        for (message,) in _rows(
            module_db,
            "select alert_message from marts.v_data_quality_alerts where shop_domain = %s"
            " and alert_type = 'rejected_value' and alert_source not like 'raw_shopify.orders'",
            (SHOP,),
        )
    ]
    for table, key, field, _value in source_bad:
        assert any(a.startswith(f"{table} {key}") and field in a for a in source_alerts), (
            f"{table} {key} {field}: not in v_data_quality_alerts"
        )
    assert checks["rejected_source_values"] == len(source_bad)
    # the values are null in staging; the records whose key or day did not parse are not staged
    assert _rows(
        module_db,
        "select count(*) from staging.stg_chatwoot__inboxes where shop_domain = %s"
        " and inbox_name = 'Bad'"
        " union all select count(*) from staging.stg_ga4__traffic_daily where shop_domain = %s"
        " and report_date is null"
        " union all select count(*) from staging.stg_ga4__traffic_daily where shop_domain = %s"
        " and landing_page = '/bad-values' and sessions is null"
        " union all select count(*) from staging.stg_chatwoot__messages where shop_domain = %s"
        " and is_private is null",
        (SHOP, SHOP, SHOP, SHOP),
    ) == [(0,), (0,), (1,), (0,)]

    # money figures: none of the ten is counted; revenue is the counted clean orders' exactly
    counted = _rows(
        module_db,
        "select count(*) from intermediate.int_orders_localized"
        " where shop_domain = %s and order_id = any(%s) and is_counted",
        (SHOP, ids),
    )
    assert counted == [(0,)]
    (revenue, orders), (expected, expected_orders) = _rows(
        module_db,
        "select sum(total_revenue), sum(total_orders) from marts.sales_metrics_daily"
        " where shop_domain = %s"
        " union all"
        " select coalesce(sum(total_price), 0), count(*) from staging.stg_shopify__orders"
        " where shop_domain = %s and not is_test and cancelled_at is null"
        " and not (order_id = any(%s))",
        (SHOP, SHOP, ids),
    )
    assert (revenue, orders) == (expected, expected_orders)
    assert revenue > Decimal(0)

    # tiles: every contract view exists and answers
    views = _rows(
        module_db,
        "select table_name from information_schema.views where table_schema = 'marts'"
        " and table_name like 'v\\_%%'",
    )
    assert len(views) >= 48
    for (view,) in views:
        _rows(module_db, f'select * from marts."{view}" limit 1')  # noqa: S608

    # the list is incremental by order: an order fixed at the source and an order deleted from
    # the raw table leave it, a bad order landed since joins it, the others stay as they were
    _recheck_landed_orders(module_db, tmp_path, [i for i in ids if bad[i][1] == "rejected"])
    # so is the list of the other sources, by record
    _recheck_landed_source_records(module_db, tmp_path, source_bad)


def _recheck_landed_orders(url: DatabaseUrl, tmp_path: Path, listed_ids: list[int]) -> None:
    fixed, gone = listed_ids[:2]
    new_id = FIRST_BAD_ID + 100
    columns = "order_id, field_name, raw_value, child_position"
    before = _listed(url, "stg_shopify__rejected_values", columns)
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select payload from raw_shopify.orders where shop_domain = %s"
                " and not (id = any(%s)) order by id limit 1",
                (SHOP, [f"gid://shopify/Order/{i}" for i in range(FIRST_BAD_ID, new_id + 1)]),
            )
            clean = cur.fetchone()[0]
            for order_id, created in ((fixed, clean["createdAt"]), (new_id, "soon")):
                order = {**clean, "id": f"gid://shopify/Order/{order_id}", "createdAt": created}
                order["lineItems"] = order["refunds"] = order["fulfillments"] = []
                cur.execute(
                    "insert into raw_shopify.orders"
                    " (shop_domain, id, updated_at, payload, batch_id)"
                    " values (%s, %s, %s, %s, 'bad-values-2')"
                    " on conflict (shop_domain, id) do update"
                    " set payload = excluded.payload, extracted_at = now()",
                    (SHOP, order["id"], NOW, json.dumps(order)),
                )
            cur.execute(
                "delete from raw_shopify.orders where shop_domain = %s and id = %s",
                (SHOP, f"gid://shopify/Order/{gone}"),
            )
    finally:
        conn.close()

    after = _rebuilt_incrementally(url, tmp_path, "stg_shopify__rejected_values", columns)
    kept = {row for row in before if row[0] not in (fixed, gone)}
    assert after == kept | {(new_id, "createdAt", "soon", 0)}


def _recheck_landed_source_records(
    url: DatabaseUrl, tmp_path: Path, listed: set[tuple[str, str, str, str]]
) -> None:
    """A location fixed at the source, a customer deleted in Shopify (its row stays, stamped
    deleted_at, not landed again), a decision-log row removed and a new bad agent: the first three
    leave stg_warehouse__rejected_values, the agent joins it, every other row stays."""
    by_table = {row[0]: row for row in sorted(listed)}
    fixed, deleted, removed = (
        by_table["raw_shopify.locations"],
        by_table["raw_shopify.customers"],
        by_table["raw_app.decision_log"],
    )
    columns = "rejected_value_id, source_table, record_key, field_name"
    before = _listed(url, "stg_warehouse__rejected_values", columns)
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "update raw_shopify.locations set payload = jsonb_set(payload, '{isActive}',"
                " 'true'), extracted_at = now() where shop_domain = %s and id = %s",
                (SHOP, fixed[1]),
            )
            cur.execute(
                "update raw_shopify.customers set deleted_at = now()"
                " where shop_domain = %s and id = %s",
                (SHOP, deleted[1]),
            )
            cur.execute(
                "delete from raw_app.decision_log where shop_domain = %s and id = %s",
                (SHOP, removed[1]),
            )
            cur.execute(
                "select id, payload from raw_chatwoot.agents where shop_domain = %s"
                " and payload ->> 'account_id' ~ '^[0-9]+$' order by id limit 1",
                (SHOP,),
            )
            agent_id, agent = cur.fetchone()
            agent["account_id"] = "two"
            cur.execute(
                "update raw_chatwoot.agents set payload = %s, extracted_at = now()"
                " where shop_domain = %s and id = %s",
                (json.dumps(agent), SHOP, agent_id),
            )
    finally:
        conn.close()

    after = _rebuilt_incrementally(url, tmp_path, "stg_warehouse__rejected_values", columns)
    gone = {(fixed[0], fixed[1]), (deleted[0], deleted[1]), (removed[0], removed[1])}
    kept = {row for row in before if (row[1], row[2]) not in gone}
    assert len(kept) == len(before) - 3
    new = after - kept
    assert {(row[1], row[2], row[3]) for row in new} == {
        ("raw_chatwoot.agents", agent_id, "account_id")
    }
    assert kept <= after


def _rebuilt_incrementally(url: DatabaseUrl, tmp_path: Path, model: str, columns: str) -> set:
    """`dbt build` of one model, which must run incrementally; then its rows (``columns``)."""
    result = run_dbt_isolated(url, ["build", "--select", model], tmp_path, as_of=AS_OF)
    assert result.returncode == 0, failure_summary(result)
    assert f"incremental model staging.{model}" in result.stdout
    return _listed(url, model, columns)


def _listed(url: DatabaseUrl, model: str, columns: str) -> set:
    return set(_rows(url, f"select {columns} from staging.{model}"))  # noqa: S608
