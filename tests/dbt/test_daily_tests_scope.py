"""The daily run's data tests read the changed rows; every row is read weekly (issue 17 item 3).

stg_shopify__orders declares its stamp (`meta: changed_at: staged_at`). With the daily watermark
(HOTROD_TESTS_CHANGED_SINCE) its tests read only the orders staged after it, a key test every
row sharing a key with those; without it (weekly, `make test`, CI) every row.

- A bad value in an old row is not read by the daily run and fails the weekly (full) run.
- A bad value staged today fails the daily run (and only that row is read).
- A duplicate key introduced today (a new row with an old row's key) fails the daily run.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sandbox.store import SandboxStore
from tests.support.dbt_runs import failure_summary, run_dbt_isolated
from tests.support.raw_loader import load_store
from warehouse.connection import connect
from warehouse.settings import DatabaseUrl

AS_OF = "2026-06-01T12:00:00Z"
SHOP = "hot-rod-an.sandbox.test"
MODEL = "stg_shopify__orders"
SINCE_ENV = "HOTROD_TESTS_CHANGED_SINCE"
PRICE_TEST = "non_negative_stg_shopify__orders_total_price"
KEY_TEST = "unique_combination_stg_shopify__orders_shop_domain__order_id"


def dbt(url: DatabaseUrl, target: Path, *args: str):
    return run_dbt_isolated(url, list(args), target, as_of=AS_OF)


def scoped_results(
    url: DatabaseUrl, target: Path, monkeypatch: pytest.MonkeyPatch, since: str | None
) -> dict[str, tuple[str, int]]:
    """`dbt test` of the model's own tests: {test name: (status, failing rows)}."""
    if since is None:
        monkeypatch.delenv(SINCE_ENV, raising=False)
    else:
        monkeypatch.setenv(SINCE_ENV, since)
    try:
        dbt(url, target, "test", "--select", MODEL, "--indirect-selection", "cautious")
    finally:
        monkeypatch.delenv(SINCE_ENV, raising=False)
    data = json.loads((target / "target" / "run_results.json").read_text())
    found = {}
    for result in data["results"]:
        if result["unique_id"].startswith("test."):
            name = result["unique_id"].split(".")[2]
            found[name] = (result["status"], result.get("failures") or 0)
    assert found, "no test ran"
    return found


def failing(results: dict[str, tuple[str, int]]) -> dict[str, int]:
    return {name: n for name, (status, n) in results.items() if status == "fail"}


def test_daily_tests_read_the_changed_rows_and_weekly_every_row(
    module_db: DatabaseUrl, store: SandboxStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_store(module_db, store)
    built = dbt(module_db, tmp_path, "build", "--select", MODEL, "--indirect-selection", "cautious")
    assert built.returncode == 0, failure_summary(built)
    conn = connect(module_db, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute("select now()::text")
            (since,) = cur.fetchone()  # the watermark: the end of the last (full) run
            cur.execute(
                f"select order_id from staging.{MODEL} where shop_domain = %s"  # noqa: S608
                " order by order_id limit 3",
                (SHOP,),
            )
            (old_bad,), (old_copied,), (today_bad,) = cur.fetchall()
            # a bad value in a row staged before the watermark (old data)
            cur.execute(
                f"update staging.{MODEL} set total_price = -1"  # noqa: S608
                " where shop_domain = %s and order_id = %s",
                (SHOP, old_bad),
            )
        daily = scoped_results(module_db, tmp_path, monkeypatch, since)
        assert failing(daily) == {}, daily
        weekly = scoped_results(module_db, tmp_path, monkeypatch, None)
        assert failing(weekly) == {PRICE_TEST: 1}, weekly
        assert set(daily) == set(weekly)  # the same tests, reading fewer rows

        with conn.cursor() as cur:
            # today: an order lands with a negative total and is staged by the daily run ...
            cur.execute(
                "update raw_shopify.orders set payload = jsonb_set(payload,"
                " '{totalPriceSet,shopMoney,amount}', '\"-5.00\"'),"
                " updated_at = updated_at + interval '1 second', extracted_at = now()"
                " where shop_domain = %s and id = %s",
                (SHOP, f"gid://shopify/Order/{today_bad}"),
            )
            assert cur.rowcount == 1
        ran = dbt(module_db, tmp_path, "run", "--select", MODEL)
        assert ran.returncode == 0, failure_summary(ran)
        with conn.cursor() as cur:
            cur.execute(
                f"select staged_at > %s::timestamptz from staging.{MODEL}"  # noqa: S608
                " where shop_domain = %s and order_id = %s",
                (since, SHOP, today_bad),
            )
            assert cur.fetchone() == (True,), "the changed order was not restaged"
            # ... and a row repeating an old order's key is written today
            cur.execute(
                f"create temp table repeated as select * from staging.{MODEL}"  # noqa: S608
                " where shop_domain = %s and order_id = %s",
                (SHOP, old_copied),
            )
            cur.execute("update repeated set staged_at = now()")
            cur.execute(f"insert into staging.{MODEL} select * from repeated")  # noqa: S608
            assert cur.rowcount == 1
        daily = scoped_results(module_db, tmp_path, monkeypatch, since)
        # today's bad value only (the old one is not read), and the duplicate key
        assert failing(daily) == {PRICE_TEST: 1, KEY_TEST: 1}, daily
        weekly = scoped_results(module_db, tmp_path, monkeypatch, None)
        assert failing(weekly) == {PRICE_TEST: 2, KEY_TEST: 1}, weekly
    finally:
        conn.close()


def test_a_malformed_watermark_is_one_line_naming_the_fix(
    module_db: DatabaseUrl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SINCE_ENV, "yesterday")
    out = dbt(module_db, tmp_path, "compile", "--select", f"test_type:generic,{MODEL}")
    assert out.returncode != 0
    assert f"{SINCE_ENV}=yesterday is not an ISO timestamp" in out.stdout + out.stderr


def test_the_watermark_is_an_iso_timestamp_of_utc() -> None:
    from orchestration.defs.daily import TESTS_SINCE_ENV, watermark_env

    assert watermark_env(None) == {}
    value = watermark_env(datetime(2026, 11, 30, 2, 5, 7, 123, tzinfo=UTC))[TESTS_SINCE_ENV]
    assert value == "2026-11-30T02:05:07.000123+00:00"
