"""Webhook sensor: newly landed webhook events trigger the near-real-time job.

The cursor is the newest ``raw_app.webhook_events.received_at`` already acted on. On its first
evaluation the sensor starts from the newest event present (history is the daily job's work).

Coalescing (issue 17): while a run of the job is queued or running, the sensor starts none and
leaves its cursor where it is, so every event that lands meanwhile is taken by one next run.
It looks every ``HOTROD_WEBHOOK_SENSOR_INTERVAL`` seconds (default 5: Dagster's sensor daemon
goes over its sensors every 5 s at most, so a shorter interval changes nothing), so a change waits
2.5 s for its run on average, not the 30 s of before.

Checks after the tiles (issue 17): the real-time job builds models only. When its newest run has
succeeded and no run of the checks job followed it, the sensor starts one run of the checks job
(``REALTIME_CHECKS_JOB``: the data tests and other checks of the same assets), tagged with the
real-time run it follows and that run's end; it never starts one while another is unfinished, so
a burst of real-time runs is followed by one checks run over what they all wrote. The next
real-time run does not wait for the checks: an event landing during them is built at once.
Freshness first: when new events are waiting too, the sensor starts only the real-time run and
defers the checks (the two would share the CPUs, and every event would wait longer), unless no
checks run has started for ``HOTROD_CHECKS_MAX_DELAY_S`` seconds (default 600): under steady
traffic the tests still run at least that often, and as soon as the traffic pauses.
"""

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from orchestration.defs.resources import WarehouseResource
from orchestration.defs.schedules import CHECKS_FOR_TAG, CHECKS_UNTIL_TAG
from warehouse.settings import env_int

# Topics that change fulfillment or CX facts.
TOPIC_PATTERNS = ("orders/%", "fulfillments/%", "conversation%", "message%")
EPOCH = "1970-01-01T00:00:00+00:00"
INTERVAL_ENV = "HOTROD_WEBHOOK_SENSOR_INTERVAL"
CHECKS_DELAY_ENV = "HOTROD_CHECKS_MAX_DELAY_S"
DEFAULT_CHECKS_DELAY_S = 600
DEFAULT_INTERVAL_S = 5  # dagster/_daemon/sensor.py MIN_INTERVAL_LOOP_TIME
# Runs that have not finished: a new one would only queue behind them.
UNFINISHED = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]

_QUERY = """
select count(*), max(received_at)
from raw_app.webhook_events
where received_at > %s::timestamptz
  and (topic like any(%s))
"""


def unfinished_run(instance: dg.DagsterInstance, job_name: str) -> str | None:
    """The id of a queued or running run of the job, if there is one."""
    runs = instance.get_run_records(
        filters=dg.RunsFilter(job_name=job_name, statuses=UNFINISHED), limit=1
    )
    return runs[0].dagster_run.run_id if runs else None


def checks_request(
    instance: dg.DagsterInstance, job_name: str, checks_job: str
) -> dg.RunRequest | None:
    """A run of the checks job after the job's newest run, if that run succeeded and no checks
    run followed it yet and none is unfinished."""
    if unfinished_run(instance, checks_job):
        return None
    newest = instance.get_run_records(filters=dg.RunsFilter(job_name=job_name), limit=1)
    if not newest or newest[0].dagster_run.status != dg.DagsterRunStatus.SUCCESS:
        return None
    record = newest[0]
    run_id = record.dagster_run.run_id
    followed = instance.get_run_records(
        filters=dg.RunsFilter(job_name=checks_job, tags={CHECKS_FOR_TAG: run_id}), limit=1
    )
    if followed or record.end_time is None:
        return None
    until = datetime.fromtimestamp(record.end_time, UTC).isoformat(timespec="microseconds")
    return dg.RunRequest(
        run_key=f"checks:{run_id}",
        job_name=checks_job,
        tags={CHECKS_FOR_TAG: run_id, CHECKS_UNTIL_TAG: until, "hotrod/trigger": "webhook"},
    )


def checks_overdue(instance: dg.DagsterInstance, checks_job: str, max_delay_s: int) -> bool:
    """No run of the checks job was created in the last ``max_delay_s`` seconds (or ever)."""
    last = instance.get_run_records(filters=dg.RunsFilter(job_name=checks_job), limit=1)
    if not last:
        return True
    return time.time() - last[0].create_timestamp.timestamp() >= max_delay_s


def build_webhook_sensor(
    jobs: Sequence[Any], job_name: str, checks_job: str, status: dg.DefaultSensorStatus
) -> dg.SensorDefinition:
    max_delay_s = env_int(CHECKS_DELAY_ENV, DEFAULT_CHECKS_DELAY_S, 0)

    @dg.sensor(
        name="webhook_events_sensor",
        jobs=list(jobs),
        minimum_interval_seconds=max(1, env_int(INTERVAL_ENV, DEFAULT_INTERVAL_S)),
        default_status=status,
        description="Runs fulfillment_tracking and cx_conversations when webhook events land "
        "(one run at a time: events landing during a run are taken by the next one), and "
        f"{checks_job} after each successful run (one at a time, not waited for; deferred "
        f"while new events wait, at most {max_delay_s} s).",
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
            busy = unfinished_run(context.instance, job_name)
            if busy:  # the newest run: no checks run is due either
                return dg.SkipReason(f"run {busy} not finished: new events wait for the next run")
            checks = checks_request(context.instance, job_name, checks_job)
            requests = [checks] if checks else []
            cur.execute(_QUERY, (context.cursor, list(TOPIC_PATTERNS)))
            count, newest = cur.fetchone()
        if not count:
            return requests or dg.SkipReason("no new webhook events")
        stamp = newest.isoformat()
        context.update_cursor(stamp)
        if requests and not checks_overdue(context.instance, checks_job, max_delay_s):
            context.log.info(f"{checks_job} deferred: new events are built first")
            requests = []
        return [
            *requests,
            dg.RunRequest(
                run_key=f"webhooks:{stamp}",
                job_name=job_name,
                tags={"hotrod/webhook_events": str(count), "hotrod/trigger": "webhook"},
            ),
        ]

    return _sensor
