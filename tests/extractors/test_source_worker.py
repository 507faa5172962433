"""extract_all's worker processes: answers and failures come back to the parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from extractors import run, source_worker
from extractors.settings import from_env
from extractors.shopify import regroup
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


def test_workers_exit_when_the_run_that_started_them_is_killed():
    """A killed extraction (SIGKILL: no clean-up) leaves no worker waiting for work forever."""
    parent = subprocess.Popen(
        [sys.executable, "-c", _SLEEPERS],
        stdin=subprocess.DEVNULL,
        preexec_fn=_default_signals,  # noqa: PLW1509 - background shells ignore signals
    )
    try:
        deadline = time.monotonic() + 120
        workers: list[int] = []
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = [pid for pid in _children(parent.pid) if b"spawn_main" in _cmdline(pid)]
        assert len(workers) == 2, "the two workers never started"
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [pid for pid in workers if _alive(pid)]
    for pid in left:  # never left behind by the test itself
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"workers {left} outlived their killed parent"


_SLEEPERS = (
    "import time\n"
    "from extractors.source_worker import each_in_process\n"
    "each_in_process(time.sleep, [600, 600])\n"
)


def _default_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper has exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


SHOPS = [f"shop-{n}.myshopify.com" for n in range(5)]
SHOPIFY = {"SHOPIFY_SHOP": ",".join(SHOPS), "SHOPIFY_ACCESS_TOKEN": "shpat_x"}


def test_shopify_shops_are_spread_over_processes_each_with_its_share_of_memory():
    opts = run.RunOptions(progress=False)
    parts = run._process_parts(from_env(SHOPIFY), "shopify", opts)
    assert run.SHOPIFY_PROCESSES == 4
    assert [p.shops for _source, p in parts] == [
        (SHOPS[0], SHOPS[4]), (SHOPS[1],), (SHOPS[2],), (SHOPS[3],)
    ]  # fmt: skip
    assert {p.bulk_memory_parts for _source, p in parts} == {4}
    assert {p.batch_id for _source, p in parts} == {opts.batch_id}  # one run
    # a run of one shop (or of another source) stays one process with the whole budget
    one = run.RunOptions(progress=False, shops=(SHOPS[2],))
    assert run._process_parts(from_env(SHOPIFY), "shopify", one) == [("shopify", one)]
    assert run._process_parts(from_env(SHOPIFY), "chatwoot", opts) == [("chatwoot", opts)]
    # the budget: the configured one (else the default) shared by the processes
    assert run.bulk_memory_budget(None, 1) is None
    assert run.bulk_memory_budget(800, 1) == 800 << 20
    assert run.bulk_memory_budget(800, 4) == 200 << 20
    assert run.bulk_memory_budget(None, 2) == (regroup.default_memory_mb() << 20) // 2


def test_each_shopify_process_reports_its_own_failure():
    outcomes = run.extract_sources_in_processes(
        URL, from_env(SHOPIFY), ["shopify"], run.RunOptions(progress=False, policy=FAST_RETRIES)
    )
    assert len(outcomes) == 4
    for n, (rows, failure) in enumerate(outcomes):
        assert rows == []
        assert failure is not None and failure.startswith(f"shopify (shop-{n}.myshopify.com")
