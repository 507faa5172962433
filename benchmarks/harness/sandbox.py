"""The sandbox business for a benchmark: generated in a child process, served by another.

Both children get ``HOTROD_HOME`` pointing at the benchmark's own folder, so generation is never
a cache hit and the server opens exactly the file the generator wrote (same orders, seed, clock).
"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from benchmarks.harness.proc import Finished, hotrod_command, reset_signals, run_measured, stop
from warehouse.settings import REPO_ROOT


def clock_now(days_back: int = 0) -> str:
    """The sandbox clock for this run: the current UTC hour (what `hotrod sandbox` defaults to),
    ``days_back`` days earlier."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=days_back)
    return now.isoformat().replace("+00:00", "Z")


def sandbox_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["HOTROD_HOME"] = str(home)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def generate(orders: int, seed: int, now: str, home: Path, out: Callable[[str], None]) -> Finished:
    """`hotrod sandbox generate` in a child process; its output lines go to ``out``."""
    cmd = hotrod_command(
        "sandbox", "generate", "--orders", str(orders), "--seed", str(seed), "--now", now
    )
    return run_measured(cmd, sandbox_env(home), cwd=str(REPO_ROOT), on_line=out)


def sandbox_file_mb(home: Path) -> float | None:
    files = sorted((home / "sandbox").glob("sandbox-*.sqlite"))
    return round(files[0].stat().st_size / 1e6, 1) if files else None


@dataclass
class ServedSandbox:
    """A running `hotrod sandbox serve` child and the extractor environment it printed."""

    process: subprocess.Popen
    url: str
    env: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    @property
    def shops(self) -> list[str]:
        return [s for s in self.env.get("SHOPIFY_SHOP", "").split(",") if s]

    def advance(self, days: int = 1) -> dict:
        response = requests.post(f"{self.url}/_sandbox/advance", json={"days": days}, timeout=3600)
        if response.status_code != 200:
            raise RuntimeError(
                f"the sandbox could not advance (HTTP {response.status_code}: "
                f"{response.text[:300]}); its last output:\n" + "\n".join(self.lines[-30:])
            )
        return response.json()

    def stop(self) -> None:
        stop(self.process)


def serve(orders: int, seed: int, now: str, home: Path, timeout: float = 600) -> ServedSandbox:
    """Start `hotrod sandbox serve --port 0` and wait for its environment lines."""
    cmd = hotrod_command(
        "sandbox", "serve", "--orders", str(orders), "--seed", str(seed), "--now", now,
        "--port", "0",
    )  # fmt: skip
    proc = subprocess.Popen(
        cmd,
        cwd=str(REPO_ROOT),
        env=sandbox_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        preexec_fn=reset_signals,  # noqa: PLW1509
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if served.url:  # serving: keep the tail for error reports
                served.lines.append(line.rstrip("\n"))
                del served.lines[:-200]
            else:
                lines.put(line.rstrip("\n"))
        lines.put(None)

    served = ServedSandbox(process=proc, url="")
    threading.Thread(target=pump, name="bench-sandbox-output", daemon=True).start()
    wanted = {"HOTROD_APP_API_TOKEN"}
    while not wanted <= served.env.keys():
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            served.stop()
            raise RuntimeError(f"the sandbox server printed nothing for {timeout:.0f}s") from None
        if line is None:
            raise RuntimeError(
                "the sandbox server exited before serving:\n" + "\n".join(served.lines[-20:])
            )
        served.lines.append(line)
        name, sep, value = line.partition("=")
        if sep and name.isupper() and " " not in name:
            served.env[name] = value
    served.url = served.env["HOTROD_APP_API_URL"].rstrip("/")
    return served
