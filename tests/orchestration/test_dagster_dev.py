"""`dagster dev` from the repo root: the GraphQL API shows the lineage and the SPEC's schedules."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from warehouse.connection import connect
from warehouse.settings import REPO_ROOT

DAGSTER = str(Path(sys.executable).parent / "dagster")
START_TIMEOUT_S = 420

QUERY = """
{
  assetNodes { assetKey { path } dependencyKeys { path } isMaterializable }
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes { name location { name } schedules { name cronSchedule executionTimezone } }
    }
    ... on PythonError { message }
  }
}
"""
SPEC_CRONS = {"0 * * * *", "0 2 * * *", "0 3 * * 1", "0 4 1 * *"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _reset_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)  # its own session: the group id is its pid
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def _query(port: int, proc: subprocess.Popen, log: Path) -> dict:
    deadline = time.monotonic() + START_TIMEOUT_S
    last = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"dagster dev exited with {proc.returncode}: {log.read_text()[-3000:]}")
        try:
            reply = requests.post(
                f"http://127.0.0.1:{port}/graphql", json={"query": QUERY}, timeout=30
            )
            data = reply.json().get("data") or {}
            repos = (data.get("repositoriesOrError") or {}).get("nodes") or []
            if repos and data.get("assetNodes"):
                return data
            last = reply.text[:500]
        except requests.RequestException as exc:
            last = str(exc)
        time.sleep(3)
    pytest.fail(f"dagster dev did not serve the code location: {last} {log.read_text()[-2000:]}")


def _upstream_layers(key: tuple, parents: dict[tuple, list[tuple]], seen=None) -> set[str]:
    seen = set() if seen is None else seen
    layers = set()
    for parent in parents.get(key, []):
        if parent in seen:
            continue
        seen.add(parent)
        layers.add(parent[0])
        layers |= _upstream_layers(parent, parents, seen)
    return layers


LAUNCH = """
mutation($selector: JobOrPipelineSelector!) {
  launchRun(executionParams: {selector: $selector, runConfigData: {}}) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}
"""
RUN_STATUS = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
RUNS = "{ runsOrError { ... on Runs { results { runId status jobName } } } }"


def _gql(port: int, query: str, variables: dict | None = None) -> dict:
    reply = requests.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": query, "variables": variables or {}},
        timeout=30,
    )
    body = reply.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def _start(env: dict, port: int, log: Path) -> subprocess.Popen:
    with open(log, "a") as out:
        return subprocess.Popen(
            [DAGSTER, "dev", "-p", str(port), "-h", "127.0.0.1"],  # target: [tool.dagster]
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_reset_signals,
            start_new_session=True,
        )


def _launch_and_wait(port: int, repo: dict, job: str) -> str:
    selector = {
        "repositoryLocationName": repo["location"]["name"],
        "repositoryName": repo["name"],
        "jobName": job,
    }
    launched = _gql(port, LAUNCH, {"selector": selector})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + START_TIMEOUT_S
    status = None
    while time.monotonic() < deadline:
        status = _gql(port, RUN_STATUS, {"id": run_id})["runOrError"].get("status")
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(3)
    assert status == "SUCCESS", status
    return run_id


def test_dagster_dev_serves_lineage_schedules_and_keeps_history(
    module_db, dagster_storage, tmp_path
):
    """Plain `dagster dev` at the repo root (no DAGSTER_HOME): the root dagster.yaml puts run
    storage in the warehouse; a run launched in one session is still there in the next."""
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env["HOTROD_DATABASE_URL"] = module_db.url
    env["HOTROD_BACKUP_DIR"] = str(tmp_path / "backups")
    log = tmp_path / "dagster-dev.log"

    port = _free_port()
    proc = _start(env, port, log)
    try:
        data = _query(port, proc, log)
        [repo] = data["repositoriesOrError"]["nodes"]
        run_id = _launch_and_wait(port, repo, "retention")
    finally:
        _stop(proc)

    port = _free_port()
    proc = _start(env, port, log)
    try:
        _query(port, proc, log)
        runs = _gql(port, RUNS)["runsOrError"]["results"]
    finally:
        _stop(proc)
    assert {"runId": run_id, "status": "SUCCESS", "jobName": "retention"} in runs

    conn = connect(dagster_storage, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute("select count(*) from runs where run_id = %s", (run_id,))
        assert cur.fetchone()[0] == 1  # the history is in Postgres, not in a temp dir

    assert repo["location"]["name"] == "hotrod"
    crons = {s["cronSchedule"] for s in repo["schedules"]}
    assert crons >= SPEC_CRONS
    assert all(s["executionTimezone"] == "UTC" for s in repo["schedules"])

    parents = {
        tuple(n["assetKey"]["path"]): [tuple(d["path"]) for d in n["dependencyKeys"]]
        for n in data["assetNodes"]
    }
    exposures = [k for k in parents if k[0] == "exposures"]
    assert exposures, "no dbt exposures in the asset graph"
    chains = [
        e
        for e in exposures
        if any(p[0] == "marts" for p in parents[e])
        and {"marts", "staging"} <= _upstream_layers(e, parents)
        and any(layer.startswith("raw_") for layer in _upstream_layers(e, parents))
    ]
    assert chains, "no exposure reads a mart built from staging over raw tables"
    # the raw tables in the chain are materializable extraction assets
    materializable = {
        tuple(n["assetKey"]["path"]) for n in data["assetNodes"] if n["isMaterializable"]
    }
    assert ("raw_shopify", "orders") in materializable
    assert any(p == ("raw_shopify", "orders") for ps in parents.values() for p in ps)
