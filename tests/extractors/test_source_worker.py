"""extract_all's worker processes: answers and failures come back to the parent."""

from __future__ import annotations

from extractors import run, source_worker
from extractors.settings import from_env
from tests.extractors.conftest import FAST_RETRIES
from warehouse.settings import DatabaseUrl

URL = DatabaseUrl.parse("postgresql://nobody@127.0.0.1:1/none")


def test_worker_failure_comes_back_as_a_message_naming_the_source():
    rows, failure = source_worker.extract_in_process(
        URL, from_env({}), "chatwoot", run.RunOptions(progress=False)
    )
    assert rows == []
    assert failure is not None and "CHATWOOT_URL is not set" in failure


def test_unexpected_worker_error_names_the_source_and_the_error_type():
    cfg = from_env({"HOTROD_APP_API_URL": "http://127.0.0.1:1", "HOTROD_APP_API_TOKEN": "t"})
    rows, failure = source_worker.extract_in_process(
        URL, cfg, "app", run.RunOptions(progress=False, policy=FAST_RETRIES)
    )
    assert rows == []
    assert failure is not None and failure.startswith("app: unexpected WarehouseError: ")
