"""Alerts delivered: new critical rows posted to a local webhook receiver, each exactly once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import pytest

from orchestration.alerts import WEBHOOK_ENV, deliver
from orchestration.defs.alerting import build_alert_sensor
from orchestration.defs.resources import WarehouseResource
from warehouse.connection import connect
from warehouse.settings import DatabaseUrl

# The three source views, as tables holding the columns the alert queries read.
SOURCES_DDL = """
create table marts.v_data_quality_alerts (
    shop_domain text, alert_type text, alert_source text, severity text, alert_message text);
create table marts.v_data_anomalies (
    shop_domain text, metric text, metric_date date, metric_value numeric, z_score numeric,
    is_anomaly boolean, direction text);
create table marts.v_inventory_alerts (
    shop_domain text, sku text, snapshot_date date, stock_status text, alert_message text);
insert into marts.v_data_quality_alerts values
    ('a.test', 'stale_source', 'shopify.orders', 'critical', 'orders not extracted for 30 h'),
    ('a.test', 'quality_check', 'orders', 'low', 'a low one is not sent');
insert into marts.v_data_anomalies values
    ('a.test', 'revenue', '2026-11-19', 10, -3.5, true, 'drop'),
    ('a.test', 'revenue', '2026-11-20', 900, 4.2, true, 'spike'),
    ('a.test', 'orders', '2026-11-20', 9, 0.2, false, 'normal');
insert into marts.v_inventory_alerts values
    ('b.test', 'AN-6-FIT', '2026-11-20', 'out_of_stock', '0 on hand'),
    ('b.test', 'AN-8-FIT', '2026-11-20', 'low_stock', 'a low-stock row is not sent');
"""


class Receiver:
    """A local HTTP webhook receiver recording every JSON body; answers `status`."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers["Content-Length"])
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args) -> None:  # noqa: ANN002 - quiet
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/T000/SECRET"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    opened = Receiver()
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def warehouse(fresh_db: DatabaseUrl) -> DatabaseUrl:
    conn = connect(fresh_db, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(SOURCES_DDL)
    conn.close()
    return fresh_db


def _deliver(url: DatabaseUrl, hook: str) -> int:
    conn = connect(url)
    try:
        return deliver(conn, "marts", hook)
    finally:
        conn.close()


def test_each_new_critical_alert_is_posted_once(warehouse, receiver):
    assert _deliver(warehouse, receiver.url) == 3
    texts = sorted(body["text"] for body in receiver.bodies)
    assert len(texts) == 3
    assert any("orders not extracted for 30 h" in t and t.startswith("[critical]") for t in texts)
    assert any("revenue spike on 2026-11-20" in t for t in texts)  # the latest day only
    assert any("Out of stock: AN-6-FIT" in t and "b.test" in t for t in texts)
    assert all(len(body["alerts"]) == 1 for body in receiver.bodies)
    assert _deliver(warehouse, receiver.url) == 0  # nothing new: nothing posted again
    assert len(receiver.bodies) == 3
    conn = connect(warehouse, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            "insert into marts.v_inventory_alerts values"
            " ('b.test', 'AN-10-FIT', '2026-11-20', 'out_of_stock', '0 on hand')"
        )
    conn.close()
    assert _deliver(warehouse, receiver.url) == 1
    assert "AN-10-FIT" in receiver.bodies[-1]["text"]


def test_a_failed_post_is_retried_and_never_recorded_as_delivered(warehouse, receiver):
    receiver.status = 500
    with pytest.raises(RuntimeError, match=f"HTTP 500; check {WEBHOOK_ENV}") as failure:
        _deliver(warehouse, receiver.url)
    assert "SECRET" not in str(failure.value)  # the URL (a secret) is never in the message
    receiver.status = 200
    receiver.bodies.clear()
    assert _deliver(warehouse, receiver.url) == 3
    assert len(receiver.bodies) == 3


def test_the_sensor_posts_through_the_warehouse_resource(warehouse, receiver, monkeypatch):
    sensor = build_alert_sensor(dg.DefaultSensorStatus.STOPPED)
    monkeypatch.delenv(WEBHOOK_ENV, raising=False)
    with dg.build_sensor_context(resources={"warehouse": WarehouseResource()}) as context:
        skipped = sensor(context)
    assert f"{WEBHOOK_ENV} is not set" in skipped.skip_message
    monkeypatch.setenv(WEBHOOK_ENV, receiver.url)
    monkeypatch.setenv("HOTROD_DATABASE_URL", warehouse.url)
    with dg.build_sensor_context(resources={"warehouse": WarehouseResource()}) as context:
        result = sensor(context)
    assert result.skip_message == "3 new alert(s) posted"
    with dg.build_sensor_context(resources={"warehouse": WarehouseResource()}) as context:
        assert sensor(context).skip_message == "0 new alert(s) posted"
    assert len(receiver.bodies) == 3
