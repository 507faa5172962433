"""`hotrod run`'s main job: every asset materialized once through Dagster, in process."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from orchestration.defs.schedules import MATERIALIZE_ALL
from orchestration.instance import prepare_home
from warehouse.settings import DatabaseUrl, patched_environ


@dataclass
class PipelineResult:
    success: bool
    run_id: str
    materialized: int = 0
    failed_steps: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)


def materialize_everything(url: DatabaseUrl) -> PipelineResult:
    """Run the `materialize_all` job in-process, recorded in the Dagster instance's storage."""
    from dagster import DagsterEventType, DagsterInstance

    from orchestration.defs.loader import build_definitions

    logging.getLogger("alembic").setLevel(logging.WARNING)  # storage migrations: not news
    _home, env = prepare_home(url=url)
    with patched_environ(env), DagsterInstance.get() as instance:
        job = build_definitions().resolve_job_def(MATERIALIZE_ALL)
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            # progress without the per-event debug lines
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
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
