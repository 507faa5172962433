"""Child processes for the benchmark: signals reset, output streamed, peak RSS from wait4."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass


def reset_signals() -> None:
    """preexec_fn: background shells here ignore SIGINT/SIGTERM; children must not."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def hotrod_command(*args: str) -> list[str]:
    """The `hotrod` CLI of this interpreter (works without the console script on PATH)."""
    return [sys.executable, "-m", "hotrod.cli", *args]


@dataclass
class Finished:
    returncode: int
    seconds: float
    peak_rss_mb: float  # the child and its waited-for descendants (ru_maxrss from wait4)
    cpu_seconds: float = 0.0  # user + system CPU of the child and its waited-for descendants


def run_measured(
    cmd: list[str],
    env: dict[str, str],
    cwd: str | None = None,
    on_line: Callable[[str], None] | None = None,
) -> Finished:
    """Run ``cmd`` to completion, feeding each output line (stdout+stderr) to ``on_line``."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        preexec_fn=reset_signals,  # noqa: PLW1509 - no threads touch the child before exec
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if on_line is not None:
            on_line(line.rstrip("\n"))
    proc.stdout.close()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Finished(
        returncode=proc.returncode,
        seconds=time.perf_counter() - started,
        peak_rss_mb=round(usage.ru_maxrss / 1024, 1),
        cpu_seconds=round(usage.ru_utime + usage.ru_stime, 3),
    )


def stop(process: subprocess.Popen) -> None:
    """Terminate a child and wait for it (killed when it does not stop within 15 s)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
