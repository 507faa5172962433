"""The run-wide sharing of the xdist workers (tests/support/shared_session.py): work asked for by
several processes at once is done once, the others wait for it; a failed attempt is retried."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.shared_session import SharedRun, safe_name
from warehouse.settings import REPO_ROOT


def _ask(folder: str, log: str) -> str:
    """One process of the run asking for the work: appends a line to `log` each time it runs."""

    def make(out: Path) -> None:
        with open(log, "a") as handle:
            handle.write("made\n")
        time.sleep(1.0)  # long enough for the other process to ask meanwhile
        (out / "result.txt").write_text("built")

    done = SharedRun("r1", Path(folder)).once("the work", make)
    return (done / "result.txt").read_text() + " in " + str(done)


def test_work_asked_by_two_processes_at_once_is_done_once(tmp_path):
    # Two plain processes, not a multiprocessing pool: a pool's spawned children of a
    # pytest-xdist worker can hang on the worker's channel (seen in CI).
    log = tmp_path / "log.txt"
    code = "import sys; from tests.test_shared_session import _ask; print(_ask(*sys.argv[1:]))"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path), str(log)],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    answers = [process.communicate(timeout=120)[0].strip() for process in processes]
    assert [process.returncode for process in processes] == [0, 0]
    assert log.read_text() == "made\n"
    assert answers[0] == answers[1] and answers[0].startswith("built in ")


def test_a_failed_attempt_is_retried_by_the_next_ask(tmp_path):
    run = SharedRun("r1", tmp_path)

    def fail(out: Path) -> None:
        (out / "half").write_text("partial")
        raise RuntimeError("build failed")

    with pytest.raises(RuntimeError, match="build failed"):
        run.once("work", fail)
    folder = run.once("work", lambda out: (out / "whole").write_text("ok"))
    assert sorted(p.name for p in folder.iterdir()) == [".done", "whole"]  # nothing half-made
    assert run.once("work", fail) == folder  # done: not made again


def test_names_are_safe_and_tell_keys_apart():
    first = safe_name("every model as of 2026-06-01T12:00:00Z on sandbox-o2000.sqlite")
    second = safe_name("every model as of 2026-06-01T12:00:00Z on sandbox-o2500.sqlite")
    assert first != second
    assert all(c.isalnum() or c == "_" for c in first) and len(first) <= 41
