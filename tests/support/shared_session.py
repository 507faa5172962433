"""What the pytest processes of one run share: `make test` runs the suite in worker processes
(pytest-xdist); a plain `pytest` is one process and the same code holds.

The controller (the one process of a plain run, the coordinating one under xdist) makes a run id
and a folder at start-up and hands both to its workers (tests/conftest.py). Work every process
would otherwise repeat — a template warehouse, a `dbt parse` — is done once per run: the first
process to ask does it under a file lock, the others wait for it and reuse what it left in the
folder. What a run leaves on the server is named after the run id, so the controller drops it at
the end whoever made it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

_RUN_ID = "hotrod_run_id"
_RUN_DIR = "hotrod_run_dir"


@dataclass(frozen=True)
class SharedRun:
    """The run id (8 hex digits) and the folder every process of the run sees."""

    run_id: str
    folder: Path

    @contextlib.contextmanager
    def locked(self, name: str) -> Iterator[Path]:
        """Hold the run-wide lock `name` (any process of the run waits for it); yields the
        folder `name` of the shared folder (created)."""
        slug = safe_name(name)
        lock = self.folder / f"{slug}.lock"
        with lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                folder = self.folder / slug
                folder.mkdir(exist_ok=True)
                yield folder
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def once(self, name: str, make: Callable[[Path], None]) -> Path:
        """The folder `name` after `make(folder)` ran once in this run (in whichever process
        asked first; a failed make is retried by the next ask)."""
        with self.locked(name) as folder:
            done = folder / ".done"
            if not done.exists():
                shutil.rmtree(folder)
                folder.mkdir()
                make(folder)
                done.touch()
            return folder


def safe_name(name: str) -> str:
    """A file and database name part for any text: readable prefix and a hash of the whole."""
    digest = hashlib.sha1(name.encode()).hexdigest()[:10]
    return f"{re.sub(r'[^a-z0-9]+', '_', name.lower())[:30].strip('_')}_{digest}"


def start(config: pytest.Config) -> None:
    """pytest_configure: the controller makes the run id and folder; a worker takes its
    controller's (see hand_to_worker)."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and _RUN_ID in workerinput:
        config.stash[_KEY] = SharedRun(workerinput[_RUN_ID], Path(workerinput[_RUN_DIR]))
        return
    folder = Path(tempfile.mkdtemp(prefix="hotrod-run-"))
    config.stash[_KEY] = SharedRun(uuid.uuid4().hex[:8], folder)


def hand_to_worker(config: pytest.Config, workerinput: dict) -> None:
    """pytest_configure_node (xdist, in the controller): the worker shares the controller's."""
    run = config.stash[_KEY]
    workerinput[_RUN_ID] = run.run_id
    workerinput[_RUN_DIR] = str(run.folder)


def is_controller(config: pytest.Config) -> bool:
    return getattr(config, "workerinput", None) is None


def shared_run(config: pytest.Config) -> SharedRun:
    return config.stash[_KEY]


def finish(config: pytest.Config) -> None:
    """pytest_unconfigure of the controller: the shared folder goes."""
    run = config.stash.get(_KEY, None)
    if run is not None and is_controller(config):
        shutil.rmtree(run.folder, ignore_errors=True)


def worker_name() -> str:
    """gw0, gw1... under xdist; "main" in a plain run."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


_KEY = pytest.StashKey[SharedRun]()
