"""GDPR privacy webhooks (customers/data_request, customers/redact, shop/redact) acted on.

The receiver stores these deliveries in ``raw_app.webhook_events`` with ``processed_at`` null;
the sensor starts the ``privacy_requests`` job while any are pending, and the job hands them to
``warehouse.privacy`` (export, redaction, shop removal — each audited).
"""

import dagster as dg

from orchestration.defs.resources import WarehouseResource

PRIVACY_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")

_PENDING = """
select count(*), max(received_at)
from raw_app.webhook_events
where processed_at is null and topic = any(%s)
"""


@dg.op
def process_privacy_requests(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> None:
    """Handle every pending privacy delivery; a failed one stays pending and fails the run."""
    from warehouse.privacy.process import process_url

    outcomes = process_url(warehouse.url())
    failed = [o for o in outcomes if o.status != "done"]
    for outcome in outcomes:
        context.log.info(
            f"{outcome.topic} {outcome.delivery_id}: {outcome.status} {outcome.detail}"
        )
    context.add_output_metadata({"processed": len(outcomes) - len(failed), "failed": len(failed)})
    if failed:
        raise dg.Failure(
            description=f"{len(failed)} privacy request(s) failed and stay pending: "
            "see raw_app.privacy_audit_log, fix, then rerun `hotrod privacy process`"
        )


@dg.job(
    name="privacy_requests",
    description="GDPR: act on pending customers/data_request, customers/redact, shop/redact.",
    tags={"hotrod/kind": "maintenance"},
)
def privacy_job() -> None:
    process_privacy_requests()


def build_privacy_sensor(status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    @dg.sensor(
        name="privacy_requests_sensor",
        job=privacy_job,
        minimum_interval_seconds=30,
        default_status=status,
        description="Starts privacy_requests while privacy webhooks are pending.",
    )
    def _sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
        with warehouse.connect() as conn, conn.cursor() as cur:
            cur.execute("select to_regclass('raw_app.webhook_events') is not null")
            if not cur.fetchone()[0]:
                return dg.SkipReason("raw_app.webhook_events does not exist yet")
            cur.execute(_PENDING, (list(PRIVACY_TOPICS),))
            count, newest = cur.fetchone()
        if not count:
            return dg.SkipReason("no pending privacy requests")
        return dg.RunRequest(run_key=f"privacy:{newest.isoformat()}:{count}")

    return _sensor
