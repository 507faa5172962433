"""`shops_landed_sensor`: a cadence's warehouse-wide job starts once a shop has landed.

The cadence schedules start one `extract_shop` run per shop (``defs/schedules.py``). This sensor
starts the cadence's own job (the app extraction and ``dbt build`` over every shop) as soon as
one of those runs has succeeded, never while a run of that job is queued or running: shops that
land during a build are taken by the next one. So a failing shop (its run fails, nothing new
lands) and a huge shop (it lands later and gets a build of its own then) never hold the others
back, and builds never pile up. The cursor is, per cadence, the update time of the newest
successful shop run already built on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import dagster as dg

from orchestration.defs.schedules import CADENCE_TAG, EXTRACT_SHOP, Plan
from orchestration.defs.sensors import unfinished_run
from orchestration.defs.shops import SHOP_TAG

SENSOR_NAME = "shops_landed_sensor"
INTERVAL_S = 30


def landed_since(instance: dg.DagsterInstance, cadence: str, after: float) -> list[dg.RunRecord]:
    """Successful `extract_shop` runs of the cadence updated after ``after`` (epoch seconds)."""
    return list(
        instance.get_run_records(
            filters=dg.RunsFilter(
                job_name=EXTRACT_SHOP,
                statuses=[dg.DagsterRunStatus.SUCCESS],
                tags={CADENCE_TAG: cadence},
                updated_after=datetime.fromtimestamp(after, UTC),
            ),
            limit=1000,
        )
    )


def evaluate(
    instance: dg.DagsterInstance, plans: Sequence[Plan], cursor: str | None
) -> tuple[list[dg.RunRequest], str, list[str]]:
    """The builds to start, the new cursor, and why the others wait (one line each)."""
    done: dict[str, float] = json.loads(cursor) if cursor else {}
    requests: list[dg.RunRequest] = []
    waiting: list[str] = []
    for plan in plans:
        landed = landed_since(instance, plan.cadence, done.get(plan.cadence, 0.0))
        if not landed:
            continue
        busy = unfinished_run(instance, plan.cadence)
        if busy:
            waiting.append(f"{plan.cadence}: run {busy} not finished, landed shops wait for it")
            continue
        newest = max(r.update_timestamp.timestamp() for r in landed)
        shops = sorted({r.dagster_run.tags.get(SHOP_TAG, "?") for r in landed})
        done[plan.cadence] = newest
        requests.append(
            dg.RunRequest(
                job_name=plan.cadence,
                run_key=f"{plan.cadence}:landed:{newest}",
                tags={
                    CADENCE_TAG: plan.cadence,
                    "hotrod/trigger": "shops-landed",
                    "hotrod/shops": ",".join(shops)[:4000],
                },
            )
        )
    return requests, json.dumps(done, sort_keys=True), waiting


def build_shops_landed_sensor(
    plans: Sequence[Plan], jobs: Sequence[object], status: dg.DefaultSensorStatus
) -> dg.SensorDefinition:
    @dg.sensor(
        name=SENSOR_NAME,
        jobs=list(jobs),
        minimum_interval_seconds=INTERVAL_S,
        default_status=status,
        description="Starts a cadence's build (app extraction + dbt, every shop) once a shop's "
        "extraction run has succeeded; one build at a time, later shops go to the next one.",
    )
    def _sensor(context: dg.SensorEvaluationContext):
        requests, cursor, waiting = evaluate(context.instance, plans, context.cursor)
        if requests:
            return dg.SensorResult(run_requests=requests, cursor=cursor)
        return dg.SkipReason("; ".join(waiting) or "no shop has landed since the last build")

    return _sensor
