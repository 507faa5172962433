"""One source extracted in its own Python process, so sources parse on separate cores.

The parent (``run.extract_all``) starts ``python -m extractors.source_worker``, writes the
pickled (database URL, settings, source, options) to its stdin and reads back, from its stdout,
the pickled ``(ledger rows, failure message or None)``. The worker opens its own database
connections; its progress lines and logs go to the inherited stderr. A crash of the worker (or
an exception it did not expect) comes back as a failure naming the source.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import traceback
from pathlib import Path

from extractors.ledger import LedgerRow

_PROJECT_ROOT = str(Path(__file__).resolve().parents[1])


def extract_in_process(url, settings, source: str, options) -> tuple[list[LedgerRow], str | None]:
    """Run ``run.extract_source`` for ``source`` in a child process; (rows, failure) back."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PROJECT_ROOT, env.get("PYTHONPATH")) if p)
    env["HOTROD_LOG_LEVEL"] = str(logging.getLogger().getEffectiveLevel())
    payload = pickle.dumps((url, settings, source, options))
    proc = subprocess.Popen(
        [sys.executable, "-m", "extractors.source_worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    try:
        out, _ = proc.communicate(payload)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    try:
        return pickle.loads(out)  # noqa: S301 - our own child, over a private pipe
    except Exception:  # noqa: BLE001 - the child died before answering
        return [], f"{source}: extraction worker exited with status {proc.returncode}"


def _main() -> None:
    answer = sys.stdout.buffer
    sys.stdout = sys.stderr  # stdout carries only the pickled answer
    logging.basicConfig(level=int(os.environ.get("HOTROD_LOG_LEVEL", logging.WARNING)))
    from extractors import run
    from extractors.errors import ExtractError

    request = sys.stdin.buffer.read()  # written by our parent (extract_in_process)
    url, settings, source, options = pickle.loads(request)  # noqa: S301
    try:
        result: tuple[list[LedgerRow], str | None] = (
            run.extract_source(url, settings, source, options),
            None,
        )
    except ExtractError as exc:
        result = ([], str(exc))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, with its traceback
        traceback.print_exc()
        result = ([], f"{source}: unexpected {type(exc).__name__}: {exc}")
    answer.write(pickle.dumps(result))
    answer.flush()


if __name__ == "__main__":
    _main()
