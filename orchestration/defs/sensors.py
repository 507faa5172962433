"""Webhook sensor: newly landed webhook events trigger the near-real-time job.

The cursor is the newest ``raw_app.webhook_events.received_at`` already acted on. On its first
evaluation the sensor starts from the newest event present (history is the daily job's work).
"""

import dagster as dg

from orchestration.defs.resources import WarehouseResource

# Topics that change fulfillment or CX facts.
TOPIC_PATTERNS = ("orders/%", "fulfillments/%", "conversation%", "message%")
EPOCH = "1970-01-01T00:00:00+00:00"

_QUERY = """
select count(*), max(received_at)
from raw_app.webhook_events
where received_at > %s::timestamptz
  and (topic like any(%s))
"""


def build_webhook_sensor(job_name: str, status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    @dg.sensor(
        name="webhook_events_sensor",
        job_name=job_name,
        minimum_interval_seconds=30,
        default_status=status,
        description="Runs fulfillment_tracking and cx_conversations when webhook events land.",
    )
    def _sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
        with warehouse.connect() as conn, conn.cursor() as cur:
            cur.execute("select to_regclass('raw_app.webhook_events') is not null")
            if not cur.fetchone()[0]:
                return dg.SkipReason("raw_app.webhook_events does not exist yet")
            if context.cursor is None:
                cur.execute("select max(received_at) from raw_app.webhook_events")
                newest = cur.fetchone()[0]
                context.update_cursor(newest.isoformat() if newest else EPOCH)
                return dg.SkipReason("started: watching webhook events from now on")
            cur.execute(_QUERY, (context.cursor, list(TOPIC_PATTERNS)))
            count, newest = cur.fetchone()
        if not count:
            return dg.SkipReason("no new webhook events")
        stamp = newest.isoformat()
        context.update_cursor(stamp)
        return dg.RunRequest(
            run_key=f"webhooks:{stamp}",
            tags={"hotrod/webhook_events": str(count), "hotrod/trigger": "webhook"},
        )

    return _sensor
