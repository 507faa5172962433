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

from orchestration.instance import prepare_home
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


def test_dagster_dev_serves_lineage_and_schedules(module_db, dagster_storage, tmp_path):
    home, env = prepare_home(tmp_path / "dagster_home", module_db)
    env = {**os.environ, **env, "HOTROD_DATABASE_URL": module_db.url}
    port = _free_port()
    log = tmp_path / "dagster-dev.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [DAGSTER, "dev", "-p", str(port), "-h", "127.0.0.1"],  # target: [tool.dagster]
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_reset_signals,
            start_new_session=True,
        )
    try:
        data = _query(port, proc, log)
    finally:
        _stop(proc)

    [repo] = data["repositoriesOrError"]["nodes"]
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
