"""The extraction of the extractor-only stage, in a process of its own (its CPU and peak memory
are the client's: ``wait4`` of this process). Prints the figures as one JSON line."""

from __future__ import annotations

import json
import os
import sys

from benchmarks.harness.stages import EXTRACT_RESULT, EXTRACT_URL_ENV, extract
from warehouse.settings import DatabaseUrl


def main() -> int:
    url = DatabaseUrl.parse(os.environ[EXTRACT_URL_ENV])
    figures = extract(url, dict(os.environ), progress=False)
    print(EXTRACT_RESULT + json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
