"""What the figures were measured on: CPU, memory, load, Postgres, Python and dbt versions."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
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
    }
