"""The webhook sensor's cursor, retention, and run history that survives a restart."""

from __future__ import annotations

from datetime import datetime

import dagster as dg
import pytest

from orchestration.defs.maintenance import retention_job
from orchestration.defs.resources import WarehouseResource
from orchestration.defs.schedules import (
    CHECKS_FOR_TAG,
    CHECKS_UNTIL_TAG,
    REALTIME_CHECKS_JOB,
    REALTIME_JOB,
)
from orchestration.defs.sensors import build_webhook_sensor
from orchestration.instance import prepare_home
from tests.support.dagster_jobs import one_op_job
from warehouse.connection import connect


def _insert_event(url, delivery_id: str, topic: str) -> None:
    conn = connect(url, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            "insert into raw_app.webhook_events (source, delivery_id, shop_domain, topic, payload)"
            " values ('shopify', %s, 'hot-rod-an.sandbox.test', %s, '{}')",
            (delivery_id, topic),
        )


def _job_origin(job_name: str):
    from dagster._core.remote_origin import (
        RegisteredCodeLocationOrigin,
        RemoteJobOrigin,
        RemoteRepositoryOrigin,
    )

    location = RegisteredCodeLocationOrigin(location_name="orchestration.definitions")
    return RemoteJobOrigin(RemoteRepositoryOrigin(location, "__repository__"), job_name)


def _sensor() -> dg.SensorDefinition:
    jobs = [one_op_job(REALTIME_JOB), one_op_job(REALTIME_CHECKS_JOB)]
    return build_webhook_sensor(
        jobs, REALTIME_JOB, REALTIME_CHECKS_JOB, dg.DefaultSensorStatus.STOPPED
    )


def _one(result) -> dg.RunRequest:
    """The one run request of a sensor result (a list of them when it has any)."""
    [request] = result if isinstance(result, list) else [result]
    assert isinstance(request, dg.RunRequest), result
    return request


def _evaluator(instance):
    """sensor(context) for a context at a cursor: (context, result)."""
    sensor = _sensor()
    resources = {"warehouse": WarehouseResource()}

    def evaluate(cursor):
        ctx = dg.build_sensor_context(cursor=cursor, resources=resources, instance=instance)
        return ctx, sensor(ctx)

    return evaluate


def _run(instance, job: str, events: list[dg.DagsterEventType], tags=None) -> dg.DagsterRun:
    """A run of ``job`` taken through ``events`` (enqueued, started, succeeded...)."""
    run = instance.add_run(
        dg.DagsterRun(
            job_name=job,
            status=dg.DagsterRunStatus.NOT_STARTED,
            remote_job_origin=_job_origin(job),
            tags=tags or {},
        )
    )
    for event in events:
        instance.run_storage.handle_run_event(
            run.run_id, dg.DagsterEvent(event_type_value=event.value, job_name=job)
        )
    return instance.get_run_by_id(run.run_id)


def _watching(module_db, use_db, *earlier: str):
    """(instance, evaluate, cursor): the sensor's first evaluation on an event table holding
    only the ``earlier`` order events (landed before the sensor started)."""
    use_db(module_db)
    instance = dg.DagsterInstance.ephemeral()
    evaluate = _evaluator(instance)
    conn = connect(module_db, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("delete from raw_app.webhook_events")
    for delivery_id in earlier:
        _insert_event(module_db, delivery_id, "orders/create")
    ctx, first = evaluate(None)
    assert isinstance(first, dg.SkipReason)  # it starts from the newest event present
    assert ctx.cursor is not None
    return instance, evaluate, ctx.cursor


def test_webhook_sensor_requests_a_run_per_new_batch_of_events(module_db, use_db):
    _instance, evaluate, cursor = _watching(module_db, use_db, "old-1")
    ctx, result = evaluate(cursor)
    assert isinstance(result, dg.SkipReason)  # nothing new

    _insert_event(module_db, "new-1", "orders/fulfilled")
    _insert_event(module_db, "new-2", "message_created")
    _insert_event(module_db, "new-3", "products/update")  # not a fulfillment/CX topic
    ctx, result = evaluate(ctx.cursor)
    request = _one(result)
    assert request.job_name == REALTIME_JOB
    assert request.tags["hotrod/webhook_events"] == "2"
    assert request.run_key.startswith("webhooks:")

    ctx, result = evaluate(ctx.cursor)
    assert isinstance(result, dg.SkipReason)  # the cursor moved past them


def test_webhook_sensor_coalesces_events_while_a_run_is_unfinished(module_db, use_db):
    """Issue 17: never a second run while one is queued or running; the events that land
    meanwhile are all taken by the one next run."""
    instance, evaluate, cursor = _watching(module_db, use_db)
    _insert_event(module_db, "burst-1", "orders/updated")
    ctx, result = evaluate(cursor)
    _one(result)
    cursor = ctx.cursor
    for status, event in (
        (dg.DagsterRunStatus.QUEUED, dg.DagsterEventType.RUN_ENQUEUED),
        (dg.DagsterRunStatus.STARTED, dg.DagsterEventType.RUN_START),
    ):
        run = _run(instance, REALTIME_JOB, [event])
        assert run.status is status
        for n in range(3):
            _insert_event(module_db, f"burst-{status.value}-{n}", "orders/updated")
        ctx, result = evaluate(cursor)
        assert isinstance(result, dg.SkipReason), f"a run started beside a {status.value} one"
        assert run.run_id in result.skip_message
        assert ctx.cursor == cursor  # the events wait, none is passed over
        instance.report_run_canceled(run)  # finished: the next evaluation may start one

    ctx, result = evaluate(cursor)
    request = _one(result)  # no checks run: the runs before were canceled, none succeeded
    assert request.tags["hotrod/webhook_events"] == "6"  # both bursts in one run


def test_webhook_sensor_defers_the_checks_while_events_wait_at_most_the_delay(
    module_db, use_db, monkeypatch
):
    """Freshness first: with new events waiting, only the real-time run starts (the checks
    would share the CPUs with it) unless no checks run started for HOTROD_CHECKS_MAX_DELAY_S;
    with no event waiting the checks start at once."""
    start, success = dg.DagsterEventType.RUN_START, dg.DagsterEventType.RUN_SUCCESS
    monkeypatch.setenv("HOTROD_CHECKS_MAX_DELAY_S", "3600")
    instance, evaluate, cursor = _watching(module_db, use_db)
    _run(instance, REALTIME_CHECKS_JOB, [start, success])  # checks ran a moment ago
    _run(instance, REALTIME_JOB, [start, success])
    _insert_event(module_db, "waiting", "orders/updated")
    ctx, result = evaluate(cursor)
    assert _one(result).job_name == REALTIME_JOB  # the checks wait
    _, result = evaluate(ctx.cursor)  # no event waiting: the checks start
    assert _one(result).job_name == REALTIME_CHECKS_JOB

    monkeypatch.setenv("HOTROD_CHECKS_MAX_DELAY_S", "0")  # overdue at once
    instance, evaluate, cursor = _watching(module_db, use_db)
    _run(instance, REALTIME_CHECKS_JOB, [start, success])
    _run(instance, REALTIME_JOB, [start, success])
    _insert_event(module_db, "waiting-2", "orders/updated")
    _, result = evaluate(cursor)
    assert sorted(r.job_name for r in result) == sorted([REALTIME_JOB, REALTIME_CHECKS_JOB])


def test_webhook_sensor_runs_the_checks_after_a_successful_run_one_at_a_time(module_db, use_db):
    """Issue 17: the real-time job builds models only; after its newest run succeeds the sensor
    starts one checks run (tagged with the run it follows and that run's end), never while one
    is unfinished, never twice for a run, never after a failed run; a real-time run is started
    beside an unfinished checks run (the events do not wait for the tests)."""
    instance, evaluate, cursor = _watching(module_db, use_db)
    start, success, failure = (
        dg.DagsterEventType.RUN_START,
        dg.DagsterEventType.RUN_SUCCESS,
        dg.DagsterEventType.RUN_FAILURE,
    )

    _, result = evaluate(cursor)
    assert isinstance(result, dg.SkipReason)  # no real-time run yet: nothing to check

    first = _run(instance, REALTIME_JOB, [start, success])
    _, result = evaluate(cursor)
    checks = _one(result)
    assert checks.job_name == REALTIME_CHECKS_JOB
    assert checks.tags[CHECKS_FOR_TAG] == first.run_id
    [record] = instance.get_run_records(dg.RunsFilter(run_ids=[first.run_id]))
    assert datetime.fromisoformat(checks.tags[CHECKS_UNTIL_TAG]).timestamp() == pytest.approx(
        record.end_time, abs=1e-5
    )

    running = _run(instance, REALTIME_CHECKS_JOB, [start], checks.tags)
    _, result = evaluate(cursor)
    assert isinstance(result, dg.SkipReason)  # that run has its checks run

    _insert_event(module_db, "during-checks", "orders/updated")
    ctx, result = evaluate(cursor)
    request = _one(result)  # the tests do not hold the next real-time run back
    assert request.job_name == REALTIME_JOB
    cursor = ctx.cursor
    second = _run(instance, REALTIME_JOB, [start, success])
    _, result = evaluate(cursor)
    assert isinstance(result, dg.SkipReason)  # a checks run is unfinished: the next one waits

    instance.report_run_canceled(running)
    _, result = evaluate(cursor)
    assert _one(result).tags[CHECKS_FOR_TAG] == second.run_id  # one run checks what both wrote

    _run(instance, REALTIME_CHECKS_JOB, [start, success], {CHECKS_FOR_TAG: second.run_id})
    _run(instance, REALTIME_JOB, [start, failure])
    _, result = evaluate(cursor)
    assert isinstance(result, dg.SkipReason)  # the newest run failed: its models, not tests


def test_retention_calls_the_archive_function(module_db, use_db):
    use_db(module_db)
    conn = connect(module_db, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("select to_regproc('marts.archive_old_audit_logs') is not null")
        if not cur.fetchone()[0]:
            cur.execute(
                "create function marts.archive_old_audit_logs() returns integer"
                " language sql as 'select 3'"
            )
    result = retention_job.execute_in_process(
        resources={"warehouse": WarehouseResource()}, raise_on_error=False
    )
    assert result.success
    [materialization] = [
        e
        for e in result.all_events
        if e.event_type_value == "STEP_OUTPUT" and e.step_key == "archive_audit_logs"
    ]
    metadata = materialization.event_specific_data.metadata
    assert metadata["archive_function_installed"].value is True
    assert metadata["audit_rows_archived"].value >= 0


def test_run_history_persists_in_postgres_across_instances(
    module_db, dagster_storage, tmp_path, use_db
):
    use_db(module_db)
    home, env = prepare_home(tmp_path / "dagster_home", module_db)
    assert "WarehouseStorage" in (home / "dagster.yaml").read_text()

    first = dg.DagsterInstance.from_config(str(home))
    try:
        assert first.get_ref().storage_data.class_name == "WarehouseStorage"
        result = retention_job.execute_in_process(
            instance=first, resources={"warehouse": WarehouseResource()}
        )
        run_id = result.run_id
    finally:
        first.dispose()

    # a second instance (another process, after a restart) over the same storage
    prepare_home(tmp_path / "other_home", module_db)
    second = dg.DagsterInstance.from_config(str(tmp_path / "other_home"))
    try:
        run = second.get_run_by_id(run_id)
        assert run is not None
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.job_name == "retention"
        logs = second.all_logs(run_id)
        assert any(e.dagster_event and e.dagster_event.is_step_success for e in logs)
    finally:
        second.dispose()

    conn = connect(dagster_storage, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("select count(*) from runs where run_id = %s", (run_id,))
        assert cur.fetchone()[0] == 1


def test_privacy_sensor_runs_job_that_processes_pending_requests(module_db, use_db):
    from orchestration.defs.privacy import build_privacy_sensor, privacy_job

    use_db(module_db)
    resources = {"warehouse": WarehouseResource()}
    conn = connect(module_db, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("delete from raw_app.webhook_events")
    sensor = build_privacy_sensor(dg.DefaultSensorStatus.STOPPED)
    assert isinstance(sensor(dg.build_sensor_context(resources=resources)), dg.SkipReason)

    # A data request for a customer we hold nothing about still gets processed and audited.
    conn = connect(module_db, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(
            "insert into raw_app.webhook_events (source, delivery_id, shop_domain, topic, payload)"
            " values ('shopify', 'priv-1', 'hot-rod-an.sandbox.test', 'customers/data_request',"
            " %s)",
            ('{"shop_domain": "hot-rod-an.sandbox.test", "customer": {"id": 42}}',),
        )
    request = sensor(dg.build_sensor_context(resources=resources))
    assert isinstance(request, dg.RunRequest)

    result = privacy_job.execute_in_process(resources=resources)
    assert result.success
    conn = connect(module_db, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("select processed_at is not null from raw_app.webhook_events")
        assert cur.fetchone()[0]
    assert isinstance(sensor(dg.build_sensor_context(resources=resources)), dg.SkipReason)


def test_retention_keeps_pending_privacy_requests(module_db, use_db):
    use_db(module_db)
    conn = connect(module_db, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("delete from raw_app.webhook_events")
        cur.execute(
            "insert into raw_app.webhook_events"
            " (source, delivery_id, shop_domain, topic, payload, received_at) values"
            " ('shopify', 'old-order', 'x', 'orders/create', '{}', now() - interval '100 days'),"
            " ('shopify', 'old-redact', 'x', 'customers/redact', '{}', now() - interval '100 days')"
        )
    result = retention_job.execute_in_process(resources={"warehouse": WarehouseResource()})
    assert result.success
    conn = connect(module_db, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("select delivery_id from raw_app.webhook_events order by 1")
        assert [r[0] for r in cur.fetchall()] == ["old-redact"]


def test_webhook_sensor_looks_as_often_as_dagster_allows_unless_configured(monkeypatch):
    """Issue 17: a change waits seconds for the sensor, not 30: the interval is the daemon's
    minimum between two evaluations, and Dagster's sensor daemon loops every 5 s."""
    from dagster._daemon.sensor import MIN_INTERVAL_LOOP_TIME

    monkeypatch.delenv("HOTROD_WEBHOOK_SENSOR_INTERVAL", raising=False)
    sensor = _sensor()
    assert sensor.minimum_interval_seconds == MIN_INTERVAL_LOOP_TIME == 5
    monkeypatch.setenv("HOTROD_WEBHOOK_SENSOR_INTERVAL", "7")
    sensor = _sensor()
    assert sensor.minimum_interval_seconds == 7
