"""`hotrod run`'s main job: every asset materialized once through Dagster, in process."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from orchestration.defs.schedules import MATERIALIZE_ALL
from orchestration.instance import prepare_home
from warehouse.settings import DatabaseUrl, patched_environ

INFO_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
DECISION_MART = ("marts", "audit_decision_log")


@dataclass
class PipelineResult:
    success: bool
    run_id: str
    materialized: int = 0
    failed_steps: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)


def materialize_everything(url: DatabaseUrl) -> PipelineResult:
    """Run the `materialize_all` job in-process, recorded in the Dagster instance's storage:
    every shop partition of the extraction in the one run (a partition range), then dbt."""
    from dagster import DagsterEventType, DagsterInstance

    from orchestration.defs.loader import build_definitions
    from orchestration.defs.shops import every_shop_tags

    logging.getLogger("alembic").setLevel(logging.WARNING)  # storage migrations: not news
    _home, env = prepare_home(url=url)
    with patched_environ(env), DagsterInstance.get() as instance:
        job = build_definitions().resolve_job_def(MATERIALIZE_ALL)
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config=INFO_LOGS,  # progress without the per-event debug lines
            tags=every_shop_tags(job.partitions_def),
        )
    failed_steps = [e.step_key or "?" for e in result.all_events if e.is_step_failure]
    failed_checks = []
    for event in result.all_events:
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            data = event.event_specific_data
            if not data.passed:
                severity = getattr(data.severity, "value", str(data.severity))
                name = f"{data.asset_key.to_user_string()}:{data.check_name} ({severity})"
                detail = getattr(data, "description", None)
                failed_checks.append(f"{name}: {detail}" if detail else name)
    return PipelineResult(
        success=result.success and not any("(ERROR)" in c for c in failed_checks),
        run_id=result.run_id,
        materialized=len(result.get_asset_materialization_events()),
        failed_steps=failed_steps,
        failed_checks=failed_checks,
    )


def run_retention(url: DatabaseUrl) -> PipelineResult:
    """Run the daily `retention` job once, in-process (what `hotrod run` does after the build);
    then, if the decision marts still hold decisions the retention archived, rebuild them and
    what reads them, so no archived decision stays live anywhere."""
    from dagster import DagsterInstance

    from orchestration.defs.loader import resources
    from orchestration.defs.maintenance import retention_job

    _home, env = prepare_home(url=url)
    with patched_environ(env), DagsterInstance.get() as instance:
        result = retention_job.execute_in_process(
            instance=instance, resources=resources(), raise_on_error=False, run_config=INFO_LOGS
        )
        outcome = PipelineResult(
            success=result.success,
            run_id=result.run_id,
            failed_steps=[e.step_key or "?" for e in result.all_events if e.is_step_failure],
        )
        if outcome.success and _archived_decisions_in_marts(url):
            rebuilt = _rebuild_decision_marts(instance)
            outcome = PipelineResult(
                success=rebuilt.success,
                run_id=f"{outcome.run_id} + {rebuilt.run_id} (decision marts rebuilt)",
                materialized=rebuilt.materialized,
                failed_steps=rebuilt.failed_steps,
            )
    return outcome


def _archived_decisions_in_marts(url: DatabaseUrl) -> bool:
    from psycopg2 import sql

    from warehouse.connection import connection
    from warehouse.settings import marts_schema

    with connection(url) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass(%s) is not null", (f"{marts_schema()}.{DECISION_MART[1]}",))
        if not cur.fetchone()[0]:
            return False
        cur.execute(
            sql.SQL(
                "select exists (select 1 from {} as m join raw_app.decision_log_archive as a"
                " on a.shop_domain = m.shop_domain and a.id = m.decision_id)"
            ).format(sql.Identifier(marts_schema(), DECISION_MART[1]))
        )
        return bool(cur.fetchone()[0])


def _rebuild_decision_marts(instance) -> PipelineResult:
    """Materialize the decision mart and everything downstream of it (one Dagster run)."""
    from dagster import AssetKey, AssetSelection

    from orchestration.defs.loader import build_definitions

    defs = build_definitions()
    selection = AssetSelection.assets(AssetKey(list(DECISION_MART))).downstream().materializable()
    keys = selection.resolve(defs.resolve_asset_graph())
    job = defs.resolve_job_def(MATERIALIZE_ALL)
    result = job.execute_in_process(
        instance=instance, asset_selection=list(keys), raise_on_error=False, run_config=INFO_LOGS
    )
    return PipelineResult(
        success=result.success,
        run_id=result.run_id,
        materialized=len(result.get_asset_materialization_events()),
        failed_steps=[e.step_key or "?" for e in result.all_events if e.is_step_failure],
    )
