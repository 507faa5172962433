"""The Dagster code location (``[tool.dagster] module_name`` in pyproject.toml).

Importing this module does no work: Dagster calls :func:`defs` when it loads the location, and
only then is the dbt manifest produced (``dbt parse``, skipped while it is up to date).
"""

from __future__ import annotations

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    from orchestration.defs.loader import build_definitions

    return build_definitions()
