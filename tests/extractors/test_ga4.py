"""GA4 through Google's client library against the sandbox's runReport stand-in (issue 19):
every report row landed exactly once on a first load and on a daily increment, faults survived,
the stand-in's answers parsed strictly as the library's own messages, its traffic consistent
with the generated orders, configuration errors in one line."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from google.analytics.data_v1beta.types import (
    DimensionHeader,
    DimensionValue,
    MetricHeader,
    MetricValue,
    Row,
    RunReportResponse,
)
from google.api_core import exceptions as google_errors

from extractors import run, settings
from extractors.errors import ConfigError
from extractors.ga4 import report
from extractors.ga4.extract import FIRST_DAYS
from tests.extractors.conftest import FAST_RETRIES, serve
from warehouse.connection import connect

ROOT = Path(__file__).resolve().parents[2]


def _opts(**kw) -> run.RunOptions:
    return run.RunOptions(progress=False, policy=FAST_RETRIES, **kw)


def _env(server_url: str, store) -> dict[str, str]:
    from sandbox.launch import extractor_env
    from sandbox.server.app import Credentials

    env = extractor_env(server_url, store.shops(), Credentials())
    return {k: v for k, v in env.items() if k.startswith("GA4_")}


def _truth(server, store, start: date) -> dict[str, dict[str, dict[tuple, dict]]]:
    """{shop: {entity: {dimension values: metric values}}} the stand-in's traffic model holds
    from ``start`` to each shop's today (computed here from the cells, not through the API)."""
    from sandbox.server.ga4_traffic import rows

    out: dict = {}
    for shop in store.shops():
        traffic = server.sandbox.ga4.traffic(shop)
        daily: dict[tuple, dict] = defaultdict(lambda: defaultdict(float))
        hourly: dict[tuple, dict] = defaultdict(lambda: defaultdict(float))
        for (day, hour, channel, device, page), values in rows(traffic, start, traffic.today):
            for name, value in values.items():
                daily[(day, channel, device, page)][name] += float(value)
                hourly[(day + hour,)][name] += float(value)
        out[shop["domain"]] = {
            "traffic_daily": {k: v for k, v in daily.items() if any(v.values())},
            "traffic_hourly": {k: v for k, v in hourly.items() if any(v.values())},
        }
    return out


def _landed(url, entity: str) -> dict[str, dict[tuple, dict]]:
    spec = report.REPORTS[entity]
    conn = connect(url, autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(f"select shop_domain, payload from raw_ga4.{entity}")
            out: dict = defaultdict(dict)
            for shop, payload in cur.fetchall():
                key = tuple(payload[d] for d in spec.dimensions)
                out[shop][key] = {m: float(payload[m]) for m in spec.metrics}
            return out
    finally:
        conn.close()


def _assert_exact(url, truth) -> None:
    for entity in report.REPORTS:
        landed = _landed(url, entity)
        for shop, expected in truth.items():
            want = expected[entity]
            got = landed[shop]
            assert set(got) == set(want), f"{shop} {entity}: rows differ from the stand-in"
            wrong = [k for k in want if any(abs(got[k][m] - want[k][m]) > 1e-6 for m in got[k])]
            assert not wrong, f"{shop} {entity}: figures differ on {wrong[:3]}"


def test_first_load_and_daily_increment_land_every_row_once(own_store, fresh_db):
    server = serve(own_store)
    try:
        cfg = settings.from_env(_env(server.url, own_store))
        first = run.extract_source(fresh_db, cfg, "ga4", _opts())
        assert {r.status for r in first} == {"ok"}
        assert {r.mode for r in first} == {"full"}
        assert len(first) == 2 * len(own_store.shops())
        shop0 = own_store.shops()[0]
        start = server.sandbox.ga4.traffic(shop0).today - timedelta(days=FIRST_DAYS)
        truth = _truth(server, own_store, start)
        _assert_exact(fresh_db, truth)
        assert sum(r.rows_inserted for r in first) == sum(
            len(t) for shop in truth.values() for t in shop.values()
        )
        assert all(r.api_calls >= 1 and r.latency_p95_ms is not None for r in first)

        again = run.extract_source(fresh_db, cfg, "ga4", _opts())
        assert {r.mode for r in again} == {"incremental"}
        assert sum(r.rows_inserted + r.rows_updated for r in again) == 0  # nothing new

        server.sandbox.data.advance(1)
        later = run.extract_source(fresh_db, cfg, "ga4", _opts())
        assert sum(r.rows_inserted for r in later) > 0
        _assert_exact(fresh_db, _truth(server, own_store, start))
    finally:
        server.stop()


def test_faults_throttling_and_thresholding_are_survived_and_noted(sandbox_store, fresh_db):
    from sandbox.server.faults import FaultConfig

    faults = FaultConfig(error_every=3, throttle_every=4, throttle_burst=1, ga4_thresholded=True)
    server = serve(sandbox_store, faults)
    try:
        cfg = settings.from_env(_env(server.url, sandbox_store))
        rows = run.extract_entity(fresh_db, cfg, "ga4", "traffic_hourly", options=_opts())
        assert {r.status for r in rows} == {"ok"}
        assert sum(r.throttled_waits for r in rows) >= 1
        assert all("thresholded" in (r.notes or "") for r in rows)
        shop0 = sandbox_store.shops()[0]
        start = server.sandbox.ga4.traffic(shop0).today - timedelta(days=FIRST_DAYS)
        landed = _landed(fresh_db, "traffic_hourly")
        for shop, expected in _truth(server, sandbox_store, start).items():
            assert set(landed[shop]) == set(expected["traffic_hourly"])
        with connect(fresh_db, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute("select count(*) from raw_app.load_ledger where notes like 'thresholded%'")
            assert cur.fetchone()[0] == len(rows)
    finally:
        server.stop()


def _post(server, property_id, body, token="ga4_sandbox_token"):
    return requests.post(
        f"{server.url}/v1beta/properties/{property_id}:runReport",
        headers={"Authorization": f"Bearer {token}"},
        json=body,
        timeout=60,
    )


def _body(**kw) -> dict:
    spec = report.REPORTS["traffic_daily"]
    body = json.loads(
        type(report.request(spec, "1", "7daysAgo", "today", 0, 100)).to_json(
            report.request(spec, "1", "7daysAgo", "today", 0, 100)
        )
    )
    body.pop("property", None)
    body.update(kw)
    return body


def test_stand_in_answers_are_the_client_librarys_messages(sandbox_store):
    server = serve(sandbox_store)
    try:
        prop = sandbox_store.shops()[0]["ga4_property_id"]
        answer = _post(server, prop, _body())
        assert answer.status_code == 200
        # strict: any field the real RunReportResponse lacks fails the parse
        parsed = RunReportResponse.from_json(answer.text, ignore_unknown_fields=False)
        assert [h.name for h in parsed.dimension_headers] == list(
            report.REPORTS["traffic_daily"].dimensions
        )
        assert len(parsed.rows) == 100 and parsed.row_count > 100
        assert all(isinstance(v.value, str) for v in parsed.rows[0].metric_values)
        assert parsed.metadata.time_zone == sandbox_store.shops()[0]["timezone"]
        assert parsed.property_quota.tokens_per_hour.remaining > 0
        rest = _post(server, prop, _body(offset=str(parsed.row_count - 5)))
        tail = RunReportResponse.from_json(rest.text, ignore_unknown_fields=False)
        assert len(tail.rows) == 5 and tail.row_count == parsed.row_count

        empty = _post(
            server, prop, _body(dateRanges=[{"startDate": "2001-01-01", "endDate": "2001-01-02"}])
        )
        assert RunReportResponse.from_json(empty.text, ignore_unknown_fields=False).row_count == 0

        refusals = {
            (google_errors.Unauthorized, "UNAUTHENTICATED"): _post(
                server, prop, _body(), token="wrong"
            ),
            (google_errors.Forbidden, "PERMISSION_DENIED"): _post(server, "999", _body()),
            (google_errors.BadRequest, "INVALID_ARGUMENT"): _post(
                server, prop, _body(dimensions=[{"name": "pagePath"}])
            ),
        }
        for (kind, status), response in refusals.items():
            assert isinstance(google_errors.from_http_response(response), kind)
            assert response.json()["error"]["status"] == status
    finally:
        server.stop()


def test_stand_in_faults_are_googles_errors(sandbox_store):
    from sandbox.server.faults import FaultConfig

    server = serve(sandbox_store, FaultConfig(error_every=2, throttle_every=3, throttle_burst=1))
    try:
        prop = sandbox_store.shops()[0]["ga4_property_id"]
        answers = [_post(server, prop, _body()) for _ in range(3)]
        kinds = [google_errors.from_http_response(a) for a in answers[1:]]
        assert isinstance(kinds[0], google_errors.ServiceUnavailable)
        assert isinstance(kinds[1], google_errors.TooManyRequests)  # HTTP 429, as REST maps it
        assert answers[2].json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    finally:
        server.stop()


def test_traffic_follows_the_generated_orders(sandbox_store):
    from sandbox.server.data import DataAccess
    from sandbox.server.ga4_traffic import CHANNELS, TRACKED_SHARE, ShopTraffic, channel_mix, rows

    data = DataAccess(sandbox_store)
    for shop in sandbox_store.shops():
        traffic = ShopTraffic(data, shop)
        end = traffic.today - timedelta(days=1)
        start = end - timedelta(days=59)
        cells = rows(traffic, start, end)
        sessions = sum(int(v["sessions"]) for _, v in cells)
        transactions = sum(int(v["transactions"]) for _, v in cells)
        assert 0.012 <= transactions / sessions <= 0.03  # a shop's conversion rate
        orders = 0
        for rec in data.scan("shopify", "orders", shop["domain"]):
            local = date.fromisoformat(rec.payload["createdAt"][:10])
            orders += (not rec.payload["test"]) and start <= local <= end
        assert TRACKED_SHARE - 0.06 <= transactions / orders <= 1.0  # consent-limited
        handles = {
            rec.payload["handle"] for rec in data.scan("shopify", "products", shop["domain"])
        }
        pages = {cell[4] for cell, _ in cells if cell[4].startswith("/products/")}
        assert pages and {p.removeprefix("/products/") for p in pages} <= handles
        mix = channel_mix(traffic, start, end)
        for channel, share in CHANNELS:
            assert abs(mix[channel] / sessions - share) < 0.05, channel


def test_settings_name_what_is_missing_and_the_client_reads_no_environment():
    with pytest.raises(ConfigError, match="^GA4_PROPERTY_ID is not set"):
        settings.from_env({"GA4_ACCESS_TOKEN": "x"}).ga4()
    with pytest.raises(ConfigError, match="GA4_CREDENTIALS_FILE .* or GA4_ACCESS_TOKEN"):
        settings.from_env({"GA4_PROPERTY_ID": "123=a.myshopify.com"}).ga4()
    with pytest.raises(ConfigError, match="must be id=shop_domain pairs"):
        settings.from_env({"GA4_PROPERTY_ID": "abc", "GA4_ACCESS_TOKEN": "x"}).ga4()
    bad_file = settings.from_env(
        {"GA4_PROPERTY_ID": "123=a.myshopify.com", "GA4_CREDENTIALS_FILE": "/nonexistent.json"}
    ).ga4()
    from extractors.ga4.client import credentials_from

    with pytest.raises(ConfigError, match="not a readable service-account key"):
        credentials_from(bad_file)
    masked = settings.from_env({"GA4_PROPERTY_ID": "1=a.b", "GA4_ACCESS_TOKEN": "ya29.secret"})
    assert "ya29.secret" not in repr(masked.ga4())
    for path in (ROOT / "extractors" / "ga4").glob("*.py"):
        text = path.read_text()
        assert "os.environ" not in text and "getenv" not in text, path
        assert "import sandbox" not in text and "from sandbox" not in text, path


def test_a_response_reads_row_by_row_as_its_headers_name_the_values():
    response = RunReportResponse(
        dimension_headers=[DimensionHeader(name="date"), DimensionHeader(name="landingPage")],
        metric_headers=[MetricHeader(name="sessions"), MetricHeader(name="purchaseRevenue")],
        rows=[
            Row(
                dimension_values=[DimensionValue(value=f"2026110{n}"), DimensionValue(value=p)],
                metric_values=[MetricValue(value=str(n)), MetricValue(value=f"{n}.50")],
            )
            for n, p in ((1, "/"), (2, "/parts/an-fittings"), (3, "(other)"))
        ],
        row_count=3,
    )
    through_the_wrapper = [  # what each row says, read the slow way
        {
            "property_id": "412345670",
            **{
                h.name: v.value
                for h, v in zip(response.dimension_headers, row.dimension_values, strict=True)
            },
            **{
                h.name: v.value
                for h, v in zip(response.metric_headers, row.metric_values, strict=True)
            },
        }
        for row in response.rows
    ]
    assert report.records(response, "412345670") == through_the_wrapper
    assert through_the_wrapper[1]["landingPage"] == "/parts/an-fittings"
    assert report.records(RunReportResponse(), "412345670") == []
