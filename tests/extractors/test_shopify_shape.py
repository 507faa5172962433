"""Shopify records landed from their text (a bulk result's plain lines) or from the parsed
record: the same rows, the same quarantine reasons."""

from __future__ import annotations

import pytest

from extractors.records import RecordError, dumps, dumps_bytes
from extractors.shopify import queries, shape

_ORDER = {
    "id": "gid://shopify/Order/1",
    "updatedAt": "2026-01-01T00:00:00Z",
    "totalPriceSet": {"shopMoney": {"amount": "10.00", "currencyCode": "USD"}},
    "lineItems": [{"id": "gid://shopify/LineItem/1", "originalUnitPrice": "5.5"}],
}
_VARIANTS = [
    {},
    {"id": None},
    {"id": ""},
    {"updatedAt": None},
    {"updatedAt": "yesterday"},
    {"updatedAt": "1700000000"},
    {"note": "a NUL \u0000 here"},
    {"totalPriceSet": {"shopMoney": {"amount": "ten", "currencyCode": "USD"}}},
    {"totalPriceSet": {"shopMoney": {"amount": None}}},
    {"totalPriceSet": {"shopMoney": {"amount": 12.5}}},
    {"totalPriceSet": {"shopMoney": {"amount": "1e3"}}},
    {"lineItems": [{"id": "gid://shopify/LineItem/1", "price": {"amount": "1.00"}}]},
    {"lineItems": [{"id": "gid://shopify/LineItem/1", "compareAtPrice": "-2"}]},
]


@pytest.mark.parametrize("change", _VARIANTS)
def test_a_record_from_its_text_lands_or_is_quarantined_as_the_parsed_record(change):
    record = {**_ORDER, **change}
    record_id, updated = record.get("id"), record.get("updatedAt")
    raw = dumps_bytes(record)
    expected = shape.safe_rows(queries.ORDERS, record, raw)
    got = shape.text_rows(queries.ORDERS, record_id, updated, dumps(record), raw)
    assert got == expected


def test_only_entities_landed_as_the_record_itself_land_from_text():
    assert shape.lands_from_text(queries.ORDERS) and shape.lands_from_text(queries.CUSTOMERS)
    assert not shape.lands_from_text(queries.PRODUCTS)  # updatedAt: the newest of its variants
    assert not shape.lands_from_text(queries.INVENTORY_ITEMS)  # one row per level


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ('{"amount":"10.00","price":"1","compareAtPrice":null}', None),
        ('{"amount":-3.25,"x":{"price":"7"}}', None),
        ('{"note":"\\"amount\\":\\"bad\\"","amount":"1.0"}', None),  # inside a string
        ('{"unitPrice":"n/a","discountAmount":{"a":1},"price":"2"}', None),  # other keys
        ('{"amount":"1,5"}', 'unparseable money amount="1,5"'),
        ('{"a":{"amount":"1.00"},"price":"x"}', 'unparseable money price="x"'),
        ('{"price":{"amount":"1.00"}}', 'unparseable money price={"amount":"1.00"'),
        ('{"compareAtPrice":true}', "unparseable money compareAtPrice=true"),
        ('{"amount":"1.0","amount":"2.5e1"}', 'unparseable money amount="2.5e1"'),
    ],
)
def test_check_amounts_names_the_first_value_that_is_not_a_decimal(payload, message):
    if message is None:
        shape.check_amounts(payload)
    else:
        with pytest.raises(RecordError) as caught:
            shape.check_amounts(payload)
        assert str(caught.value) == message


def test_answers_are_searched_for_the_money_fields_their_query_selects():
    # GraphQL answers hold only what the query selects: no price field in an order's answer
    assert shape.money_suspects(queries.ORDERS) == (shape._SUSPECT_AMOUNT,)
    assert shape.money_suspects(queries.PRODUCTS) == shape._MAYBE_BAD_MONEY
    bad = '{"id":"gid://shopify/Order/1","totalPriceSet":{"shopMoney":{"amount":"x"}}}'
    rows, quarantined = shape.text_rows(
        queries.ORDERS, "gid://shopify/Order/1", "2026-01-01T00:00:00Z", bad, bad.encode()
    )
    assert rows == [] and quarantined[0][0] == 'orders: unparseable money amount="x"'
