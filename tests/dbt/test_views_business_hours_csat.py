"""Issue 18 item 3: support time in business hours, and CSAT, against figures recomputed here
from the sandbox's records (never from the marts).

The warehouse is the one of test_views_contract (same store, same clock), built once for this
module. Business minutes are recomputed minute by minute in Python from each inbox's landed
working hours and time zone, the holidays seed and the conversation's messages; CSAT figures
from the landed survey responses.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from tests.dbt import test_views_contract as contract
from tests.dbt.test_views_contract import SLA_FIRST_RESPONSE_SECONDS, _dicts
from warehouse.settings import REPO_ROOT

store = contract.store
dbt_target = contract.dbt_target
built = contract.built


def _holidays(store) -> dict[str, set[date]]:
    """Holiday days per shop: the seed's rows for the country of the shop's active locations."""
    by_country: dict[str, set[date]] = defaultdict(set)
    with (REPO_ROOT / "seeds" / "holidays.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_country[row["country_code"]].add(date.fromisoformat(row["holiday_date"]))
    out = {}
    for shop in store.shops():
        countries = [
            r.payload["address"]["countryCode"]
            for r in store.iter_records("shopify", "locations", shop["domain"])
            if r.payload["isActive"]
        ]
        out[shop["domain"]] = by_country[max(set(countries), key=countries.count)]
    return out


def _business_seconds(inbox: dict, holidays: set[date], start: int, end: int) -> int:
    """Seconds of [start, end) inside the inbox's open hours, walked local day by local day."""
    tz = ZoneInfo(inbox["timezone"])
    hours = {d["day_of_week"]: d for d in inbox["working_hours"]}
    total = 0
    day = datetime.fromtimestamp(start, tz).date()
    last = datetime.fromtimestamp(end, tz).date()
    while day <= last:
        spec = hours[(day.weekday() + 1) % 7]  # Chatwoot: 0 = Sunday
        if day not in holidays and not spec["closed_all_day"]:
            midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
            if spec["open_all_day"]:
                opens, closes = (
                    midnight,
                    datetime.combine(day + timedelta(days=1), midnight.time(), tz),
                )
            else:
                opens = midnight.replace(hour=spec["open_hour"], minute=spec["open_minutes"])
                closes = midnight.replace(hour=spec["close_hour"], minute=spec["close_minutes"])
            low = max(start, int(opens.timestamp()))
            high = min(end, int(closes.timestamp()))
            total += max(high - low, 0)
        day += timedelta(days=1)
    return total


def _first_replies(store, shop: str) -> dict[int, int]:
    created = {
        r.payload["id"]: r.payload["created_at"]
        for r in store.iter_records("chatwoot", "conversations", shop)
    }
    first: dict[int, int] = {}
    for record in store.iter_records("chatwoot", "messages", shop):
        m = record.payload
        conv = m["conversation_id"]
        if (
            m["message_type"] == 1
            and not m["private"]
            and m["sender_type"] == "User"
            and conv in created
            and m["created_at"] >= created[conv]
        ):
            first[conv] = min(first.get(conv, m["created_at"]), m["created_at"])
    return first


def test_first_response_in_business_minutes_matches_the_inbox_hours(built, store):
    as_of = int(store.now.timestamp())
    holidays = _holidays(store)
    rows = {
        (r["shop_domain"], r["chatwoot_conversation_id"]): r
        for r in _dicts(built, "select * from marts.cx_conversations")
    }
    checked = outside_hours = breaches_differ = 0
    for shop in (s["domain"] for s in store.shops()):
        inboxes = {
            r.payload["id"]: r.payload for r in store.iter_records("chatwoot", "inboxes", shop)
        }
        replies = _first_replies(store, shop)
        for record in store.iter_records("chatwoot", "conversations", shop):
            conv = record.payload
            row = rows[(shop, conv["id"])]
            inbox = inboxes[conv["inbox_id"]]
            assert row["has_working_hours"] == inbox["working_hours_enabled"], conv["id"]
            reply = replies.get(conv["id"])
            if not inbox["working_hours_enabled"]:
                assert row["first_response_business_minutes"] is None
                assert row["is_sla_breach_business_hours"] == row["is_sla_breach"]
                continue
            seconds = _business_seconds(
                inbox, holidays[shop], conv["created_at"], reply if reply is not None else as_of
            )
            if reply is None:
                assert row["first_response_business_minutes"] is None, conv["id"]
            else:
                assert row["first_response_business_minutes"] == seconds // 60, (shop, conv["id"])
                outside_hours += seconds < reply - conv["created_at"]
            breach = seconds > SLA_FIRST_RESPONSE_SECONDS
            assert row["is_sla_breach_business_hours"] == breach, (shop, conv["id"])
            breaches_differ += breach != row["is_sla_breach"]
            checked += 1
    assert checked > 100 and outside_hours > 10, (checked, outside_hours)
    assert breaches_differ > 0, "nights and weekends should excuse some calendar breaches"


def _opening(day_spec: dict, local: datetime, which: str) -> datetime | None:
    if day_spec["closed_all_day"]:
        return None
    hour, minute = day_spec[f"{which}_hour"], day_spec[f"{which}_minutes"]
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)


def test_a_conversation_opened_after_closing_counts_from_the_next_opening(built, store):
    """A known conversation: created after its inbox closed (or on a closed day) and answered
    the next local day; its business minutes are the minutes since that day's opening (none if
    answered before it), while its calendar minutes include the night."""
    shop = "hot-rod-an.sandbox.test"
    inboxes = {r.payload["id"]: r.payload for r in store.iter_records("chatwoot", "inboxes", shop)}
    replies = _first_replies(store, shop)
    holidays = _holidays(store)[shop]
    rows = {
        r["chatwoot_conversation_id"]: r
        for r in _dicts(
            built, "select * from marts.cx_conversations where shop_domain = %s", (shop,)
        )
    }
    for record in sorted(
        store.iter_records("chatwoot", "conversations", shop), key=lambda r: r.payload["id"]
    ):
        conv = record.payload
        inbox = inboxes[conv["inbox_id"]]
        reply = replies.get(conv["id"])
        if not inbox["working_hours_enabled"] or reply is None:
            continue
        tz = ZoneInfo(inbox["timezone"])
        created = datetime.fromtimestamp(conv["created_at"], tz)
        answered = datetime.fromtimestamp(reply, tz)
        if answered.date() - created.date() != timedelta(days=1):
            continue
        if created.date() in holidays or answered.date() in holidays:
            continue
        day_before = inbox["working_hours"][(created.weekday() + 1) % 7]
        day_of = inbox["working_hours"][(answered.weekday() + 1) % 7]
        closed = _opening(day_before, created, "close")
        opens = _opening(day_of, answered, "open")
        if day_of["open_all_day"] or day_before["open_all_day"] or opens is None:
            continue
        if closed is not None and created < closed:
            continue
        expected = max(int((answered - opens).total_seconds()), 0) // 60  # 0: before opening
        row = rows[conv["id"]]
        assert row["first_response_business_minutes"] == expected, conv["id"]
        assert row["first_response_time_minutes"] == (reply - conv["created_at"]) // 60
        assert expected < row["first_response_time_minutes"]
        return
    raise AssertionError(
        "the demo should have a conversation opened after hours, answered next day"
    )


def _pct(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def test_csat_summary_per_shop_inbox_and_agent_matches_the_responses(built, store):
    as_of = int(store.now.timestamp())
    rows = {
        (r["shop_domain"], r["summary_level"], r["summary_key"]): r
        for r in _dicts(built, "select * from marts.v_csat_summary")
    }
    expected: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for shop in (s["domain"] for s in store.shops()):
        inbox_of = {
            r.payload["id"]: r.payload["inbox_id"]
            for r in store.iter_records("chatwoot", "conversations", shop)
        }
        for record in store.iter_records("chatwoot", "csat_survey_responses", shop):
            response = record.payload
            if response["created_at"] > as_of:
                continue
            agent = (response.get("assigned_agent") or {}).get("id")
            expected[(shop, "shop", "all")].append(response["rating"])
            expected[(shop, "inbox", str(inbox_of[response["conversation_id"]]))].append(
                response["rating"]
            )
            expected[(shop, "agent", str(agent) if agent else "none")].append(response["rating"])
    assert expected and set(rows) == set(expected)
    assert {shop for shop, _, _ in expected} == {s["domain"] for s in store.shops()}
    for key, ratings in expected.items():
        row = rows[key]
        assert row["responses"] == len(ratings), key
        average = (Decimal(sum(ratings)) / len(ratings)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        assert row["average_rating"] == average, key
        satisfied = sum(1 for r in ratings if r >= 4)
        assert row["satisfied_responses"] == satisfied, key
        assert row["csat_pct"] == _pct(satisfied, len(ratings)), key
        assert [row[f"rating_{n}"] for n in range(1, 6)] == [ratings.count(n) for n in range(1, 6)]


def test_customer_support_history_shows_the_last_csat(built, store):
    rows = _dicts(
        built,
        "select shop_domain, customer_id, last_csat_rating, last_csat_at "
        "from marts.customer_support_history where last_csat_rating is not null",
    )
    assert rows, "linked customers who answered the survey should show their last rating"
    for row in rows:
        assert 1 <= row["last_csat_rating"] <= 5
        assert row["last_csat_at"] <= store.now.astimezone(UTC)
