"""Kill -9 at random points of first loads and increments of every source, rerun: every entity
exact against the sandbox's truth (issue 20). Heavy throttling slows a run and ends exact;
combined faults end exact, or fail naming what is missing, and the next run repairs it.

The extraction runs as the operator runs it (``hotrod extract all`` in its own process group);
a kill takes the whole group, as a crash or an out-of-memory kill of the machine would. The
fast versions run in ``make test``; the 20-point version is in the slow suite.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from extractors import run
from extractors.errors import ExtractError
from extractors.http import RetryPolicy
from sandbox.store import ENTITIES
from tests.extractors.conftest import serve
from tests.extractors.sandbox_helpers import (
    assert_counts_exact,
    canon,
    query,
    raw_payloads,
    sandbox_env,
    sandbox_settings,
    store_payloads,
)


def _env(server_url: str, store, url) -> dict[str, str]:
    env = {**os.environ, **sandbox_env(server_url, store)}
    env["HOTROD_DATABASE_URL"] = url.render()
    # the larger shops' first loads of orders split in two parts read in processes of their own
    # (as a 200,000-order shop's are): kills land in them too
    env["HOTROD_BULK_SPLIT_MIN"] = "500"
    env.pop("HOTROD_LOG_LEVEL", None)
    return env


def _reset_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _ledger(url) -> tuple[int, int]:
    """(entities running, entities ended) in the load ledger."""
    running, ended = query(
        url,
        "select count(*) filter (where status = 'running'), "
        "count(*) filter (where status <> 'running') from raw_app.load_ledger",
    )[0]
    return running, ended


# entity loads in one run (one shop each at least): kill points are drawn below this, so a kill
# lands inside the run on a fast idle machine as on a loaded one
ENTITY_LOADS = sum(len(entities) for entities in run.SOURCES.values())


def start_extract(env: dict, out, *args: str) -> subprocess.Popen:
    """``hotrod extract <args> --quiet`` in a process group of its own, default signal handling,
    its output to ``out``."""
    return subprocess.Popen(
        [sys.executable, "-m", "hotrod.cli", "extract", *args, "--quiet"],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_reset_signals,  # noqa: PLW1509 - default signal handling in the child
    )


def extract(env: dict, log: Path, kill_at: tuple[int, float] | None = None, url=None) -> int | None:
    """``hotrod extract all``; with ``kill_at`` = (entities, seconds), SIGKILL its process group
    once it is working and has ended that many entity loads, that many seconds later. Kill points
    follow the run's progress, not the clock, so they land inside the run whatever the machine's
    speed. Returns the exit status, or None when it was killed."""
    with log.open("a") as out:
        child = start_extract(env, out, "all")
        try:
            if kill_at is None:
                return child.wait(timeout=900)
            ended_before = _ledger(url)[1]
            entities, seconds = kill_at
            deadline = time.monotonic() + 120
            while child.poll() is None and time.monotonic() < deadline:
                running, ended = _ledger(url)
                if running and ended - ended_before >= entities:
                    break
                time.sleep(0.01)
            time.sleep(seconds)
            if child.poll() is not None:
                return child.returncode  # finished before the kill point
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=60)
            return None
        finally:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(timeout=60)


def assert_every_entity_exact(url, store) -> None:
    """Counts per shop and every payload of every source and entity, as in the sandbox."""
    assert_counts_exact(url, store)
    wrong = {}
    for source, entities in ENTITIES.items():
        for entity in entities:
            raw = raw_payloads(url, source, entity)
            expected = _expected(store, source, entity)
            missing = expected.keys() - raw.keys()
            stale = [
                k
                for k in expected.keys() & raw.keys()
                if canon(_comparable(entity, raw[k])) != canon(_comparable(entity, expected[k]))
            ]
            if missing or stale or raw.keys() - expected.keys():
                wrong[f"{source}.{entity}"] = (len(missing), len(stale))
    assert not wrong, f"(missing, stale) per entity: {wrong}"


def _comparable(entity: str, payload: dict) -> dict:
    """A CSAT response embeds its contact as Chatwoot renders it at read time (the contact's
    current record): the landed copy is the contact as of landing, and the contacts entity
    carries the current one (docs/raw-landing.md). The response's own fields and the contact's
    id must be exact."""
    if entity != "csat_survey_responses" or not isinstance(payload.get("contact"), dict):
        return payload
    return {**payload, "contact": {"id": payload["contact"].get("id")}}


def _expected(store, source: str, entity: str) -> dict[tuple[str, str], dict]:
    if source != "app":
        return store_payloads(store, source, entity)
    # the app's tables cover every shop on the platform, not only the three sandbox shops
    return {
        (record.payload["shop_domain"], str(record.id)): record.payload
        for record in store.iter_records("app", entity, None)
    }


def assert_ledger_closed(url) -> None:
    statuses = dict(query(url, "select status, count(*) from raw_app.load_ledger group by 1"))
    assert "running" not in statuses, statuses


RUNNING = (
    "select batch_id, source, shop_domain, entity from raw_app.load_ledger where status = 'running'"
)


def kill_and_rerun(store, url, tmp_path: Path, first_load_kills: int, increments: list[int], seed):
    """Kills during the first load, a clean rerun, then per increment (a day of changes each)
    kills during it and a clean rerun; exact after every clean rerun. Every ledger row a killed
    run left 'running' must end 'interrupted' (closed by a later run)."""
    rng = random.Random(seed)
    server = serve(store)
    log = tmp_path / "extract.log"
    left_running: set[tuple] = set()

    def killed_run(kill_after: float) -> int:
        kill_at = (rng.randrange(ENTITY_LOADS // 2), kill_after)
        if extract(env, log, kill_at, url) is not None:
            return 0  # finished before the kill point
        left_running.update(tuple(row) for row in query(url, RUNNING))
        return 1

    try:
        env = _env(server.url, store, url)
        killed = 0
        for _ in range(first_load_kills):
            killed += killed_run(rng.uniform(0.0, 0.3))
        assert extract(env, log) == 0, log.read_text()[-3000:]
        assert_every_entity_exact(url, store)
        for kills in increments:
            advanced = requests.post(
                f"{server.url}/_sandbox/advance", json={"days": 1}, timeout=300
            )
            assert advanced.status_code == 200
            for _ in range(kills):
                killed += killed_run(rng.uniform(0.0, 0.2))
            assert extract(env, log) == 0, log.read_text()[-3000:]
            assert_every_entity_exact(url, store)
    finally:
        server.stop()
    assert_ledger_closed(url)
    interrupted = {
        tuple(row)
        for row in query(
            url,
            "select batch_id, source, shop_domain, entity from raw_app.load_ledger "
            "where status = 'interrupted'",
        )
    }
    print(
        f"kill points: {killed} runs killed, {len(left_running)} ledger rows left running; "
        f"{len(interrupted)} closed as interrupted"
    )
    assert killed > 0
    # the killed runs' rows were closed by the runs after them (a kill that landed after a run's
    # last entity finished leaves nothing running, which is fine)
    assert left_running <= interrupted


def test_killed_at_random_points_of_first_loads_and_increments_every_entity_ends_exact(
    own_store, fresh_db, tmp_path
):
    kill_and_rerun(own_store, fresh_db, tmp_path, first_load_kills=2, increments=[2], seed=20)


@pytest.mark.slow
def test_twenty_kill_points_across_first_loads_and_increments(own_store, fresh_db, tmp_path):
    kill_and_rerun(
        own_store, fresh_db, tmp_path, first_load_kills=8, increments=[4, 4, 4], seed=2020
    )


def test_heavy_throttling_slows_the_run_and_it_ends_exact(sandbox_store, fresh_db, tmp_path):
    """Half of all answers throttled (Chatwoot and the app answer 429, Shopify THROTTLED)."""
    faults_mod = pytest.importorskip("sandbox.server")
    faults = faults_mod.FaultConfig(seed=4, throttle_every=2, throttle_burst=1, retry_after=0.05)
    server = serve(sandbox_store, faults)
    log = tmp_path / "extract.log"
    try:
        env = _env(server.url, sandbox_store, fresh_db)
        started = time.monotonic()
        assert extract(env, log) == 0, log.read_text()[-3000:]
        seconds = time.monotonic() - started
    finally:
        server.stop()
    assert_every_entity_exact(fresh_db, sandbox_store)
    waits, failed = query(
        fresh_db,
        "select sum(throttled_waits), count(*) filter (where status <> 'ok') "
        "from raw_app.load_ledger",
    )[0]
    print(f"50% throttled: {waits} throttled waits, run took {seconds:.1f}s")
    assert waits > 100 and failed == 0


def test_combined_faults_end_exact_or_fail_naming_what_is_missing_then_the_rerun_repairs(
    own_store, fresh_db
):
    """Throttling, 5xx, dropped connections and an impatient retry budget: a run either ends
    exact, or fails naming the entities it could not finish (the CLI exits non-zero on it);
    never a success short of data. With the API healthy again, the next run repairs it all."""
    faults_mod = pytest.importorskip("sandbox.server")
    faults = faults_mod.FaultConfig(
        seed=9,
        error_rate=0.2,
        drop_at=7,
        drop_every=True,
        throttle_every=3,
        throttle_burst=1,
        retry_after=0.05,
    )
    impatient = RetryPolicy(max_attempts=2, base_delay_s=0.01, max_delay_s=0.02, budget_s=5)
    opts = run.RunOptions(progress=False, policy=impatient, processes=False)
    failures: list[str] = []
    faulty = serve(own_store, faults)
    try:
        cfg = sandbox_settings(faulty.url, own_store)
        for day in (0, 1):
            if day:
                assert requests.post(f"{faulty.url}/_sandbox/advance", json={"days": 1}).ok
            try:
                rows = run.extract_all(fresh_db, cfg, opts)
            except ExtractError as exc:
                message = str(exc)
                assert "failed after 2 attempts" in message and "rerun" in message, message
                failures.append(message)
            else:
                assert {r.status for r in rows} == {"ok"}
                assert_every_entity_exact(fresh_db, own_store)  # a success is never short
    finally:
        faulty.stop()
    assert failures, "the faults must make at least one run fail"
    named = {f"{s}/{e}" for m in failures for s, e in re.findall(r"\b(\w+)/(\w+): ", m)}
    assert named and named <= {f"{s}/{e}" for s, es in run.SOURCES.items() for e in es}
    healthy = serve(own_store)
    try:
        cfg = sandbox_settings(healthy.url, own_store)
        rows = run.extract_all(fresh_db, cfg, run.RunOptions(progress=False, processes=False))
        assert {r.status for r in rows} == {"ok"}
    finally:
        healthy.stop()
    assert_every_entity_exact(fresh_db, own_store)
    assert_ledger_closed(fresh_db)
    failed = query(fresh_db, "select count(*) from raw_app.load_ledger where status = 'failed'")
    print(f"combined faults: {len(failures)} failed runs ({failed[0][0]} ledger rows), repaired")
