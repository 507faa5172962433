"""What the figures were measured on: CPU, memory, load, Postgres, Python and dbt versions."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from warehouse.connection import connection
from warehouse.dbt_invocation import dbt_executable
from warehouse.settings import DatabaseUrl


def _meminfo_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        return None
    return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _dbt_version() -> str | None:
    dbt = dbt_executable()
    try:
        out = subprocess.run([dbt, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.stdout.splitlines():
        if "installed:" in line:
            return line.split(":", 1)[1].strip()
    return None


# A fixed workload timed on every run (best of 3, seconds; lower is faster): machines of the same
# kind differ (a neighbour's load, a slower host), and seconds only compare between runs whose
# calibrations agree
CALIBRATION_RECORD = {
    "id": "gid://shopify/Order/1001",
    "lines": [{"sku": "HR-1932-B", "quantity": 2, "price": "189.99", "vendor": "Hot Rod AN"}] * 4,
}
CALIBRATION_ROUNDS = 20_000
CALIBRATION_SQL = "select count(*) from generate_series(1, 3000000) as g where g % 7 = 0"


def python_calibration_s() -> float:
    """Seconds for a fixed pure-Python workload (JSON round trips, a loop), best of 3."""
    best = math.inf
    for _ in range(3):
        started = time.perf_counter()
        for i in range(CALIBRATION_ROUNDS):
            json.loads(json.dumps(CALIBRATION_RECORD))
            i * i  # noqa: B018 - part of the workload
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def postgres_calibration_s(cur: Any) -> float:
    """Seconds for a fixed PostgreSQL query (a generated series counted), best of 3."""
    best = math.inf
    for _ in range(3):
        started = time.perf_counter()
        cur.execute(CALIBRATION_SQL)
        cur.fetchone()
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def describe(url: DatabaseUrl) -> dict[str, Any]:
    """A JSON-ready description of this machine and the server in effect."""
    with connection(url) as conn, conn.cursor() as cur:
        cur.execute("select version(), current_setting('server_version')")
        version, short = cur.fetchone()
        cur.execute(
            "select name, setting, unit from pg_settings where name in "
            "('shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', "
            "'effective_cache_size', 'jit')"
        )
        settings = {name: f"{setting}{unit or ''}" for name, setting, unit in cur.fetchall()}
        postgres_s = postgres_calibration_s(cur)
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "nproc": nproc,
        "cpu_model": _cpu_model(),
        "ram_gb": _meminfo_gb(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "postgres": short,
        "postgres_full": version,
        "postgres_settings": settings,
        "dbt": _dbt_version(),
        "database_host": "embedded (unix socket)" if url.is_socket else f"{url.host}:{url.port}",
        "load_average_start": load_average(),
        "calibration_s": {"python": python_calibration_s(), "postgres": postgres_s},
    }
