"""The generator's worker process: ``python -m sandbox.generator.worker '<json args>'``.

Started with ``subprocess`` (not ``multiprocessing``) so that it works whatever the parent's
``__main__`` is (a script on stdin, Dagster, a server thread) and never forks a threaded parent.
"""

from __future__ import annotations

import json
import signal
import sys


def main(argv: list[str] | None = None) -> int:
    # this environment's background processes ignore SIGINT/SIGTERM; the worker must be stoppable
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    args = json.loads((argv if argv is not None else sys.argv[1:])[0])
    from sandbox.generator import generate_part

    generate_part(
        args["path"], args["shops"], args["counts"], args["seed"], args["now"], args["progress"]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
