"""`hotrod run`'s main job: sandbox up, every asset materialized once through Dagster."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from orchestration.defs.resources import sources_configured
from orchestration.defs.schedules import MATERIALIZE_ALL
from orchestration.instance import prepare_home
from warehouse.settings import DatabaseUrl


@dataclass
class PipelineResult:
    success: bool
    run_id: str
    materialized: int = 0
    failed_steps: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)


@contextlib.contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def sandbox_if_unconfigured(orders: int, seed: int, out=print) -> Iterator[str | None]:
    """Start the sandbox (in-process, free port) unless real sources are configured."""
    if sources_configured(os.environ):
        yield None
        return
    from orchestration.defs.sandbox import start_sandbox

    out(f"sandbox: generating {orders:,} orders (seed {seed})...")
    server, env = start_sandbox(orders, seed)
    out(f"sandbox: serving at {server.url}")
    try:
        with patched_environ(env):
            yield server.url
    finally:
        server.stop()


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
                failed_checks.append(name)
    return PipelineResult(
        success=result.success and not any(c.endswith("(ERROR)") for c in failed_checks),
        run_id=result.run_id,
        materialized=len(result.get_asset_materialization_events()),
        failed_steps=failed_steps,
        failed_checks=failed_checks,
    )
