"""Run sqlfluff over the dbt project against the warehouse in effect.

The dbt templater compiles models, so dbt needs the PG* settings of the running warehouse.
"""

from __future__ import annotations

import os
import subprocess
import sys

from warehouse.bootstrap import bootstrap
from warehouse.connection import resolve
from warehouse.dbt_invocation import DBT_PROJECT_DIR, dbt_env


def main() -> int:
    url = resolve()
    bootstrap(url)
    sqlfluff = os.path.join(os.path.dirname(sys.executable), "sqlfluff")
    paths = [str(p) for p in (DBT_PROJECT_DIR / "models", DBT_PROJECT_DIR / "tests") if p.exists()]
    cmd = [sqlfluff, "lint", "--processes", "2", "--disable-progress-bar", *paths]
    return subprocess.run(cmd, cwd=DBT_PROJECT_DIR, env=dbt_env(url)).returncode


if __name__ == "__main__":
    sys.exit(main())
