"""The alert sensor: new critical alerts posted to HOTROD_ALERT_WEBHOOK_URL (see alerts.py)."""

from __future__ import annotations

import os

import dagster as dg

from orchestration.alerts import WEBHOOK_ENV, deliver
from orchestration.defs.resources import WarehouseResource
from warehouse.settings import marts_schema


def build_alert_sensor(status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    @dg.sensor(
        name="alert_webhook_sensor",
        minimum_interval_seconds=60,
        default_status=status,
        description=(
            "Posts new critical data-quality alerts, anomalies and stock-outs to the webhook of "
            f"{WEBHOOK_ENV} (Slack-compatible JSON), each alert once."
        ),
    )
    def _sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
        url = os.environ.get(WEBHOOK_ENV, "").strip()
        if not url:
            return dg.SkipReason(f"{WEBHOOK_ENV} is not set: alerts are not delivered")
        schema = marts_schema()
        with warehouse.connect(autocommit=False) as conn:
            with conn.cursor() as cur:
                cur.execute("select to_regclass(%s) is not null", (f"{schema}.v_inventory_alerts",))
                built = cur.fetchone()[0]
            conn.rollback()
            if not built:
                return dg.SkipReason("the contract views are not built yet")
            sent = deliver(conn, schema, url)
        context.log.info("alerts posted: %d", sent)
        return dg.SkipReason(f"{sent} new alert(s) posted")

    return _sensor
