"""Run sqlfluff over the dbt project.

The dbt templater compiles the models, which needs a database. It is a database of its own,
bootstrapped and never built (``<warehouse db>_sqlfluff``): against a built warehouse
``is_incremental()`` turns true and the lint would check other SQL than on a fresh clone, so the
result would depend on whether `make run` ran before.
"""

from __future__ import annotations

import os
import subprocess
import sys

from warehouse.bootstrap import bootstrap
from warehouse.connection import resolve
from warehouse.dbt_invocation import DBT_PROJECT_DIR, dbt_env


def main() -> int:
    warehouse = resolve()
    url = warehouse.with_database(f"{warehouse.database}_sqlfluff")
    bootstrap(url)
    sqlfluff = os.path.join(os.path.dirname(sys.executable), "sqlfluff")
    paths = [str(p) for p in (DBT_PROJECT_DIR / "models", DBT_PROJECT_DIR / "tests") if p.exists()]
    cmd = [sqlfluff, "lint", "--processes", "2", "--disable-progress-bar", *paths]
    return subprocess.run(cmd, cwd=DBT_PROJECT_DIR, env=dbt_env(url)).returncode


if __name__ == "__main__":
    sys.exit(main())
