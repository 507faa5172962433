"""extract_all's worker processes: answers and failures come back to the parent."""

from __future__ import annotations

import os

from extractors import run, source_worker
from extractors.settings import from_env
from tests.extractors.conftest import FAST_RETRIES
from warehouse.settings import DatabaseUrl

URL = DatabaseUrl.parse("postgresql://nobody@127.0.0.1:1/none")


def test_worker_failure_comes_back_as_a_message_naming_the_source():
    [(rows, failure)] = run.extract_sources_in_processes(
        URL, from_env({}), ["chatwoot"], run.RunOptions(progress=False)
    )
    assert rows == []
    assert failure is not None and "CHATWOOT_URL is not set" in failure


def test_unexpected_worker_error_names_the_source_and_the_error_type():
    cfg = from_env({"HOTROD_APP_API_URL": "http://127.0.0.1:1", "HOTROD_APP_API_TOKEN": "t"})
    [(rows, failure)] = run.extract_sources_in_processes(
        URL, cfg, ["app"], run.RunOptions(progress=False, policy=FAST_RETRIES)
    )
    assert rows == []
    assert failure is not None and failure.startswith("app: unexpected WarehouseError: ")


def test_each_item_runs_in_a_process_of_its_own_and_a_dead_worker_is_reported():
    (pid_a, none_a), (pid_b, none_b) = source_worker.each_in_process(_pid_or_die, ["a", "b"])
    assert none_a is None and none_b is None
    assert len({pid_a, pid_b, os.getpid()}) == 3
    [(nothing, failure)] = source_worker.each_in_process(_pid_or_die, ["die"])
    assert nothing is None and failure == "die: its worker process died"


def _pid_or_die(item: str) -> int:
    if item == "die":
        os._exit(3)
    return os.getpid()
