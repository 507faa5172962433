"""Run dbt from tests with private artifact and log folders, so parallel runs never collide."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support import dbt_parse_reuse
from warehouse.dbt_invocation import DBT_PROJECT_DIR, dbt_env, dbt_executable
from warehouse.settings import DatabaseUrl


def _reset_signals() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run_dbt_isolated(
    url: DatabaseUrl,
    args: list[str],
    target_dir: Path,
    as_of: str | None = None,
    extra_vars: dict | None = None,
) -> subprocess.CompletedProcess:
    """Run `dbt ARGS` against url with its artifacts and logs in target_dir/target.

    as_of pins the dbt var `as_of` (ISO timestamp) so windows match a sandbox clock. Output is
    captured; the caller asserts on returncode and shows stdout on failure.
    """
    env = dbt_env(url, target_path=target_dir / "target")
    variables = dict(extra_vars or {})
    if as_of is not None:
        variables["as_of"] = as_of
    cmd = [dbt_executable(), *args]
    if variables:
        cmd += ["--vars", json.dumps(variables)]
    dbt_parse_reuse.prime(target_dir / "target", env, variables)
    result = subprocess.run(
        cmd,
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=_reset_signals,  # noqa: PLW1509 - restore default signal handling in dbt
    )
    dbt_parse_reuse.remember(target_dir / "target", env, variables)
    return result


def failure_summary(result: subprocess.CompletedProcess, limit: int = 6000) -> str:
    """The tail of a dbt run's output, for assertion messages."""
    return (result.stdout or "")[-limit:] + (result.stderr or "")[-2000:]
